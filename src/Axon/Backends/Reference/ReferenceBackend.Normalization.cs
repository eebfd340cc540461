namespace Axon.Backends;

// Batch normalisation over x [N, C, *]: element (n, c, s) is at row-major position (n C + c) S + s, S the product of
// the trailing dimensions. Statistics, the normalisation and its gradients are computed in double and rounded once.
public sealed partial class ReferenceBackend
{
    private static (int N, int C, int S) NcS(Tensor x)
    {
        int s = 1;
        for (int i = 2; i < x.Rank; i++) s *= x.ShapeArray[i];
        return (x.ShapeArray[0], x.ShapeArray[1], s);
    }

    /// <summary>Element (n, c, s) of x [N, C, *] as double.</summary>
    private static double At(Tensor x, int n, int c, int s, (int N, int C, int S) size) => GetDouble(x, (n * size.C + c) * size.S + s);

    /// <inheritdoc/>
    public void BatchNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps,
        Tensor y, Tensor saveMean, Tensor saveInvStd)
    {
        Own(x, weight, bias, runningMean, runningVar, y);
        Own(saveMean, saveInvStd);
        var size = NcS(x);
        var (n, c, s) = size;
        for (int ch = 0; ch < c; ch++)
        {
            double mean, variance;
            if (training)
            {
                // The batch's mean and biased variance over the M = N S values of the channel (two passes).
                long m = (long)n * s;
                double sum = 0;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < s; j++) sum += At(x, i, ch, j, size);
                mean = sum / m;
                double sq = 0;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < s; j++) { double d = At(x, i, ch, j, size) - mean; sq += d * d; }
                variance = sq / m;
                // running = (1 − momentum) running + momentum stat, the variance unbiased by M / (M − 1).
                if (runningMean is not null) SetDouble(runningMean, ch, (1 - momentum) * GetDouble(runningMean, ch) + momentum * mean);
                if (runningVar is not null) SetDouble(runningVar, ch, (1 - momentum) * GetDouble(runningVar, ch) + momentum * variance * ((double)m / (m - 1)));
            }
            else
            {
                mean = GetDouble(runningMean!, ch);
                variance = GetDouble(runningVar!, ch);
            }
            double invStd = 1 / Math.Sqrt(variance + eps);
            SetDouble(saveMean, ch, mean);
            SetDouble(saveInvStd, ch, invStd);
            double w = weight is null ? 1 : GetDouble(weight, ch), b = bias is null ? 0 : GetDouble(bias, ch);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < s; j++)
                {
                    int at = (i * c + ch) * s + j;
                    SetDouble(y, at, (GetDouble(x, at) - mean) * invStd * w + b);
                }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// With x̂ = (x − mean) invstd: gw = Σ gy x̂ and gb = Σ gy per channel; gx = w invstd (gy − Σgy / M − x̂ Σ(gy x̂) / M)
    /// in training (the statistics depend on x), and gx = w invstd gy with running statistics.
    /// </remarks>
    public void BatchNormBackward(Tensor x, Tensor gy, Tensor saveMean, Tensor saveInvStd, Tensor? weight, bool training, Tensor? gx, Tensor? gw, Tensor? gb)
    {
        Own(x, gy, saveMean, saveInvStd, weight, gx);
        Own(gw, gb);
        var size = NcS(x);
        var (n, c, s) = size;
        double m = (double)n * s;
        for (int ch = 0; ch < c; ch++)
        {
            double mean = GetDouble(saveMean, ch), invStd = GetDouble(saveInvStd, ch);
            double sumG = 0, sumGXhat = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < s; j++)
                {
                    double g = At(gy, i, ch, j, size);
                    sumG += g;
                    sumGXhat += g * (At(x, i, ch, j, size) - mean) * invStd;
                }
            if (gw is not null) SetDouble(gw, ch, sumGXhat);
            if (gb is not null) SetDouble(gb, ch, sumG);
            if (gx is null) continue;
            double k = invStd * (weight is null ? 1 : GetDouble(weight, ch));
            for (int i = 0; i < n; i++)
                for (int j = 0; j < s; j++)
                {
                    int at = (i * c + ch) * s + j;
                    double g = GetDouble(gy, at);
                    double xhat = (GetDouble(x, at) - mean) * invStd;
                    SetDouble(gx, at, training ? k * (g - sumG / m - xhat * sumGXhat / m) : k * g);
                }
        }
    }
}
