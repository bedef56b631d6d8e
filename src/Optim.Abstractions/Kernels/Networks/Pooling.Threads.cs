using System;
using System.Numerics;

namespace Optim.Kernels;

public static partial class Pooling
{
    /// <summary>
    /// Threads a pooling's images are split between: an explicit <paramref name="maxThreads"/> as given, the automatic
    /// setting every processor once the input holds <see cref="StepWorkers.MinimumSlice"/> values; never more than the
    /// images.
    /// </summary>
    private static int Threads(int maxThreads, int batch, long inputs) =>
        Math.Min(StepWorkers.Threads(maxThreads, inputs, StepWorkers.MinimumSlice), batch);

    /// <summary>
    /// A pooling's images shared between threads (<see cref="StepWorkers.RunEach"/>, one equal run of images per index):
    /// each run goes through the one-thread code on its own images. Windows never cross planes and the positions are
    /// within a plane, so every thread count gives the same values. The spans stay pinned for the whole call.
    /// </summary>
    private sealed unsafe class Images<T> : TensorKernel
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        [ThreadStatic]
        private static Images<T>? _onThisThread;

        private T* _from;
        private T* _to;
        private int* _argmax;
        private T* _input;
        private bool _hasInput;
        private Op _op;
        private int _batch, _channels, _height, _width, _kernel, _perRun;
        private GemmOptions _activation;
        private double _slope;

        /// <summary>Which pass runs.</summary>
        public enum Op
        {
            MaxForward,
            MaxBackward,
            AvgForward,
            AvgBackward,
        }

        /// <summary>
        /// Runs <paramref name="op"/> from <paramref name="from"/> (x, or dy) to <paramref name="to"/> (y, or dx) over
        /// <paramref name="threads"/> runs of images.
        /// </summary>
        public static void Run(Op op, ReadOnlySpan<T> from, Span<T> to, ReadOnlySpan<int> argmax, ReadOnlySpan<T> input, int batch, int channels, int height, int width,
            int kernel, GemmOptions activation, double slope, int threads)
        {
            Images<T> work = _onThisThread ??= new Images<T>();
            fixed (T* pf = from, pt = to, pi = input)
            fixed (int* pa = argmax)
            {
                work._from = pf;
                work._to = pt;
                work._argmax = pa;
                work._input = pi;
                (work._hasInput, work._op, work._batch, work._channels, work._height, work._width, work._kernel) = (!input.IsEmpty, op, batch, channels, height, width, kernel);
                (work._activation, work._slope, work._perRun) = (activation, slope, (batch + threads - 1) / threads);
                try
                {
                    StepWorkers.RunEach(work, (batch + work._perRun - 1) / work._perRun, threads);
                }
                finally
                {
                    work._from = work._to = work._input = null;
                    work._argmax = null;
                }
            }
        }

        public override void Run(int tensor, int worker)
        {
            int first = tensor * _perRun, images = Math.Min(_perRun, _batch - first);
            int plane = _height * _width, pooled = OutputSize(_height, _kernel) * OutputSize(_width, _kernel);
            int inputs = _channels * plane, outputs = _channels * pooled;
            var argmax = new Span<int>(_argmax == null ? null : _argmax + ((long)first * outputs), _argmax == null ? 0 : images * outputs);
            switch (_op)
            {
                case Op.MaxForward:
                    MaxForward(new ReadOnlySpan<T>(_from + ((long)first * inputs), images * inputs), new Span<T>(_to + ((long)first * outputs), images * outputs), argmax,
                        images, _channels, _height, _width, _kernel);
                    break;
                case Op.MaxBackward:
                    var input = new ReadOnlySpan<T>(_hasInput ? _input + ((long)first * inputs) : null, _hasInput ? images * inputs : 0);
                    MaxBackward(new ReadOnlySpan<T>(_from + ((long)first * outputs), images * outputs), argmax, new Span<T>(_to + ((long)first * inputs), images * inputs),
                        images, _channels, _height, _width, _kernel, _activation, input, _slope);
                    break;
                case Op.AvgForward:
                    AvgForward(new ReadOnlySpan<T>(_from + ((long)first * inputs), images * inputs), new Span<T>(_to + ((long)first * outputs), images * outputs),
                        images, _channels, _height, _width, _kernel);
                    break;
                default:
                    AvgBackward(new ReadOnlySpan<T>(_from + ((long)first * outputs), images * outputs), new Span<T>(_to + ((long)first * inputs), images * inputs),
                        images, _channels, _height, _width, _kernel);
                    break;
            }
        }
    }
}
