using System.Buffers;
using System.Numerics;

namespace Axon.Backends;

// Normal samples for large float64 tensors (float32 ones take the vectorised single-precision transform, see
// HostRandom.Normal): the uniforms are drawn in order on one thread (the generator's stream is
// sequential, and cheap), the Box-Muller transform (a log, a square root, a sine and a cosine per pair, the cost) is
// split over the threads. Each value comes from the same uniforms through the same function as Generator.NextNormal,
// so the tensor is the one HostRandom.Normal draws, bit for bit (a denoising autoencoder drew 100k values per batch on
// one core).
public sealed partial class CpuBackend
{
    private void ParallelNormal<T>(Span<T> dst, Generator generator, double mean, double std) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int start = 0;
        if (generator.TakeSpareNormal() is double spare) dst[start++] = T.CreateTruncating(mean + std * spare);
        int count = dst.Length - start, pairs = (count + 1) / 2;
        var uniforms = ArrayPool<double>.Shared.Rent(2 * pairs);
        for (int p = 0; p < pairs; p++) (uniforms[2 * p], uniforms[2 * p + 1]) = generator.NextBoxMullerUniforms();
        var values = ArrayPool<double>.Shared.Rent(2 * pairs);
        var body = new BoxMullerBody(uniforms, values);
        ParallelRanges(pairs, ref body);
        for (int i = 0; i < count; i++) dst[start + i] = T.CreateTruncating(mean + std * values[i]);
        if (count % 2 == 1) generator.SetSpareNormal(values[count]);   // the last pair's second value, as NextNormal keeps it
        ArrayPool<double>.Shared.Return(uniforms);
        ArrayPool<double>.Shared.Return(values);
    }

    private readonly struct BoxMullerBody(double[] uniforms, double[] values) : IRangeBody
    {
        public void Run(int start, int end)
        {
            for (int p = start; p < end; p++) (values[2 * p], values[2 * p + 1]) = Generator.BoxMuller(uniforms[2 * p], uniforms[2 * p + 1]);
        }
    }
}
