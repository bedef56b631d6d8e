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
    /// Threads the images of a forward pass or an input gradient are split between: an explicit
    /// <paramref name="maxThreads"/> as given, the automatic setting every processor once the batch's product reaches
    /// <see cref="ImageParallelSize"/>; never more than the images. One image alone keeps its product's own threads.
    /// </summary>
    private static int ImageThreads(int maxThreads, in Shape s)
    {
        int threads = maxThreads == 0
            ? ((long)s.Batch * s.OutChannels * s.Rows * s.Positions >= ImageParallelSize ? StepWorkers.MaxThreads : 1)
            : maxThreads;
        return Math.Min(threads, s.Batch);
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
