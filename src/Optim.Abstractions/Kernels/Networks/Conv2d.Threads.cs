using System;
using System.Numerics;

namespace Optim.Kernels;

public static partial class Conv2d
{
    /// <summary>
    /// Multiply-adds of a whole batch's convolution from which the automatic setting splits its images between threads:
    /// a quarter of <see cref="Gemm.AutomaticParallelSize"/>, as a convolution's small products run at a fraction of the
    /// GEMM's rate, so the same time is fewer multiply-adds.
    /// </summary>
    private const long ImageParallelSize = Gemm.AutomaticParallelSize / 4;

    /// <summary>
    /// Threads the batch's work may use: an explicit <paramref name="maxThreads"/> as given, the automatic setting every
    /// processor once the batch's product reaches <see cref="ImageParallelSize"/>.
    /// </summary>
    private static int BatchThreads(int maxThreads, in Shape s) =>
        StepWorkers.Threads(maxThreads, (long)s.Batch * s.OutChannels * s.Rows * s.Positions, ImageParallelSize);

    /// <summary>
    /// Threads the images of a forward pass or an input gradient are split between: <see cref="BatchThreads"/>, never
    /// more than the images. One image alone keeps its product's own threads.
    /// </summary>
    private static int ImageThreads(int maxThreads, in Shape s) => Math.Min(BatchThreads(maxThreads, s), s.Batch);

    /// <summary>
    /// Patch rows a thread's share of a weight gradient is a whole number of: twelve, the widest block of rows the lane
    /// kernels take at a time.
    /// </summary>
    private const int RowsPerShare = 12;

    /// <summary>
    /// Threads the patch rows of a weight gradient (<see cref="ChannelLanes{T}"/>) are split between:
    /// <see cref="BatchThreads"/>, but never more than one per <see cref="RowsPerShare"/> rows.
    /// </summary>
    private static int WeightRowThreads(int maxThreads, in Shape s) => Math.Max(1, Math.Min(BatchThreads(maxThreads, s), s.Rows / RowsPerShare));

    /// <summary>
    /// A weight gradient's patch rows shared between threads (<see cref="StepWorkers.RunEach"/>, one share of rows per
    /// index, whole multiples of <see cref="RowsPerShare"/>): each thread runs every image, in order, for its rows only,
    /// in its own <see cref="ChannelLanes{T}"/> scratch. A weight's chain (its value, then its terms, positions ascending,
    /// images in order) never leaves the thread that holds its row, so every thread count gives the same bits; each
    /// thread transposes dy for itself. The spans stay pinned for the whole call.
    /// </summary>
    private sealed unsafe class WeightRows<T> : TensorKernel
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        [ThreadStatic]
        private static WeightRows<T>? _onThisThread;

        private T* _dy;
        private T* _x;
        private T* _dWeight;
        private Shape _shape;
        private int _share;

        public static void Run(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dWeight, in Shape s, int threads)
        {
            WeightRows<T> work = _onThisThread ??= new WeightRows<T>();
            int share = ((s.Rows + threads - 1) / threads + RowsPerShare - 1) / RowsPerShare * RowsPerShare;
            fixed (T* pdy = dy, px = x, pdw = dWeight)
            {
                work._dy = pdy;
                work._x = px;
                work._dWeight = pdw;
                (work._shape, work._share) = (s, share);
                try
                {
                    StepWorkers.RunEach(work, (s.Rows + share - 1) / share, threads);
                }
                finally
                {
                    work._dy = work._x = work._dWeight = null;
                }
            }
        }

        public override void Run(int tensor, int worker)
        {
            ref readonly Shape s = ref _shape;
            int first = tensor * _share;
            var dWeight = new Span<T>(_dWeight, s.OutChannels * s.Rows);
            ChannelLanes<T> lanes = ChannelLanes<T>.Start(dWeight, s, first, Math.Min(_share, s.Rows - first));
            for (int b = 0; b < s.Batch; b++)
            {
                lanes.Accumulate(new ReadOnlySpan<T>(_dy + ((long)b * s.OutImage), s.OutImage), new ReadOnlySpan<T>(_x + ((long)b * s.Image), s.Image), s);
            }

            lanes.Finish(dWeight, s);
        }
    }

    /// <summary>
    /// A convolution's images shared between threads (<see cref="StepWorkers.RunEach"/>, one image per index): each
    /// image's forward pass, or its input gradient, is computed whole by one thread with the one-thread code (im2col and
    /// a one-thread product, or the product and col2im), so every thread count gives the same bits. The calling thread
    /// (worker 0) uses the caller's workspace, the pool's threads a workspace of their own, grown on their first image of
    /// a size: no allocation after that. The spans stay pinned for the whole call.
    /// </summary>
    private sealed unsafe class Images<T> : TensorKernel
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        [ThreadStatic]
        private static Images<T>? _onThisThread;

        [ThreadStatic]
        private static T[]? _workspace;

        private T* _input;
        private T* _weight;
        private T* _bias;
        private T* _output;
        private T* _callerWorkspace;
        private int _biasLength;
        private Shape _shape;
        private GemmOptions _options;
        private double _slope;
        private bool _inputGradient;

        /// <summary>Splits the forward pass: y[b] = activation(W·im2col(x[b]) + bias).</summary>
        public static void Forward(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, Span<T> workspace, in Shape s,
            GemmOptions options, double slope, int threads)
        {
            fixed (T* px = x, pw = weight, pb = bias, py = y, pc = workspace)
            {
                Run(px, pw, pb, bias.Length, py, pc, s, options, slope, inputGradient: false, threads);
            }
        }

        /// <summary>Splits the input gradient: dx[b] = col2im(Wᵀ·dy[b]).</summary>
        public static void InputGradient(ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, Span<T> dx, Span<T> workspace, in Shape s, int threads)
        {
            fixed (T* pdy = dy, pw = weight, pdx = dx, pc = workspace)
            {
                Run(pdy, pw, null, 0, pdx, pc, s, GemmOptions.TransposeA, 0, inputGradient: true, threads);
            }
        }

        public override void Run(int image, int worker)
        {
            ref readonly Shape s = ref _shape;
            int length = s.Rows * s.Positions;
            Span<T> col = worker == 0 ? new Span<T>(_callerWorkspace, length) : Workspace(length);
            var weight = new ReadOnlySpan<T>(_weight, s.OutChannels * s.Rows);
            if (_inputGradient)
            {
                var dy = new ReadOnlySpan<T>(_input + ((long)image * s.OutImage), s.OutImage);
                Gemm.Multiply(weight, dy, col, s.Rows, s.Positions, s.OutChannels, _options, default, 0, 1);
                Col2Im(col, new Span<T>(_output + ((long)image * s.Image), s.Image), s);
                return;
            }

            Im2Col(new ReadOnlySpan<T>(_input + ((long)image * s.Image), s.Image), col, s);
            Gemm.Multiply(weight, col, new Span<T>(_output + ((long)image * s.OutImage), s.OutImage), s.OutChannels, s.Positions, s.Rows,
                _options, new ReadOnlySpan<T>(_bias, _biasLength), _slope, 1);
        }

        private static void Run(T* input, T* weight, T* bias, int biasLength, T* output, T* workspace, in Shape s, GemmOptions options, double slope,
            bool inputGradient, int threads)
        {
            Images<T> work = _onThisThread ??= new Images<T>();
            work._input = input;
            work._weight = weight;
            work._bias = bias;
            work._output = output;
            work._callerWorkspace = workspace;
            (work._biasLength, work._shape, work._options, work._slope, work._inputGradient) = (biasLength, s, options, slope, inputGradient);
            try
            {
                StepWorkers.RunEach(work, s.Batch, threads);
            }
            finally
            {
                // No pointer outlives the pinning.
                work._input = work._weight = work._bias = work._output = work._callerWorkspace = null;
            }
        }

        private static Span<T> Workspace(int length)
        {
            if (_workspace is null || _workspace.Length < length)
            {
                _workspace = GC.AllocateUninitializedArray<T>(length);
            }

            return _workspace.AsSpan(0, length);
        }
    }
}
