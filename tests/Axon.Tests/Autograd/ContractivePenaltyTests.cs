using Axon.Nn;
using Axon.Optim;

namespace Axon.Tests.Autograd;

/// <summary>
/// The contractive autoencoder's penalty (Rifai et al. 2011) Σ_j ‖∂h_j/∂x‖² of a two-layer tanh encoder, computed with
/// second derivatives and trained through: its value equals the closed form of the Jacobian, its gradient with respect
/// to the weights equals central differences, and training lowers it.
/// </summary>
public class ContractivePenaltyTests
{
    private const int Batch = 3, Inputs = 4, Hidden1 = 5, Hidden2 = 3;

    private static (Linear L1, Linear L2) Encoder()
    {
        var g = new Generator(7);
        return (new Linear(Inputs, Hidden1, dtype: DType.Float64, generator: g), new Linear(Hidden1, Hidden2, dtype: DType.Float64, generator: g));
    }

    private static Tensor Encode(Linear l1, Linear l2, Tensor x) => l2.Forward(l1.Forward(x).Tanh()).Tanh();

    /// <summary>Σ over the batch and the code units j of ‖∂h_j/∂x‖², by one Autograd.Grad per unit (createGraph, so it is differentiable).</summary>
    private static Tensor Penalty(Linear l1, Linear l2, Tensor x)
    {
        var xs = x.Detach().RequiresGrad_();
        var h = Encode(l1, l2, xs);
        Tensor? total = null;
        for (int j = 0; j < Hidden2; j++)
        {
            var dhj = Axon.Autograd.Grad(h.Select(1, j).Sum(), xs, createGraph: true);
            var term = dhj.Square().Sum();
            total = total is null ? term : total + term;
        }
        return total!;
    }

    /// <summary>The same penalty from the Jacobian in closed form: J = diag(1 − h²) W2 diag(1 − a²) W1 per sample.</summary>
    private static double ClosedForm(Linear l1, Linear l2, Tensor x)
    {
        using var noGrad = GradMode.NoGrad();
        var a = l1.Forward(x).Tanh();                     // [B, H1]
        var h = l2.Forward(a).Tanh();                     // [B, H2]
        double sum = 0;
        for (int b = 0; b < Batch; b++)
        {
            var da = (1.0 - a.Select(0, b).Square()).Unsqueeze(1);   // [H1, 1]
            var dh = (1.0 - h.Select(0, b).Square()).Unsqueeze(1);   // [H2, 1]
            var j = (dh * l2.Weight).MatMul(da * l1.Weight);          // [H2, D]
            sum += j.Square().Sum().Item();
        }
        return sum;
    }

    [Fact]
    public void ThePenaltyEqualsTheClosedFormOfTheJacobian()
    {
        var (l1, l2) = Encoder();
        var x = Tensor.Randn([Batch, Inputs], new Generator(3), DType.Float64);
        Assert.Equal(ClosedForm(l1, l2, x), Penalty(l1, l2, x).Item(), 12);
    }

    [Fact]
    public void ItsGradientWithRespectToTheWeightsMatchesCentralDifferences()
    {
        var (l1, l2) = Encoder();
        var x = Tensor.Randn([Batch, Inputs], new Generator(4), DType.Float64);
        l1.ZeroGrad();
        l2.ZeroGrad();
        Penalty(l1, l2, x).Backward();
        foreach (var p in new[] { l1.Weight, l1.Bias!, l2.Weight, l2.Bias! })
        {
            var analytic = p.Grad!.ToDoubleArray();
            int k = 0;
            foreach (var idx in GradCheck.Indices(p.GetShape()))
            {
                double orig = p.GetDouble(idx);
                p.SetDouble(orig + 1e-6, idx);
                double up = ClosedForm(l1, l2, x);
                p.SetDouble(orig - 1e-6, idx);
                double down = ClosedForm(l1, l2, x);
                p.SetDouble(orig, idx);
                double numeric = (up - down) / 2e-6;
                Assert.True(Math.Abs(analytic[k] - numeric) < 1e-7 * (1 + Math.Abs(numeric)), $"element {k}: analytic {analytic[k]:g10}, numeric {numeric:g10}");
                k++;
            }
        }
    }

    [Fact]
    public void TrainingThroughThePenaltyLowersIt()
    {
        var (l1, l2) = Encoder();
        var x = Tensor.Randn([Batch, Inputs], new Generator(5), DType.Float64);
        var opt = new Sgd([.. l1.Parameters(), .. l2.Parameters()], lr: 0.05);
        double first = 0, last = 0;
        for (int step = 0; step < 30; step++)
        {
            opt.ZeroGrad();
            var penalty = Penalty(l1, l2, x);
            penalty.Backward();
            opt.Step();
            if (step == 0) first = penalty.Item();
            last = penalty.Item();
        }
        Assert.True(last < 0.5 * first, $"penalty {first} -> {last}");
    }
}
