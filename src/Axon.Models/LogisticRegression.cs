using Axon.Nn;

namespace Axon.Models;

/// <summary>
/// Multiclass logistic regression: p(C_k | phi) = softmax(W phi + b)_k, trained by minimising the
/// negative log-likelihood (cross-entropy). Shape: input [N, D] -> logits [N, K].
/// </summary>
public sealed class LogisticRegression : Module<Tensor, Tensor>
{
    /// <summary>Creates the model for <paramref name="inFeatures"/> features and <paramref name="numClasses"/> classes.</summary>
    public LogisticRegression(int inFeatures, int numClasses, DType dtype = DType.Float32, Generator? generator = null)
    {
        Linear = RegisterModule("linear", new Linear(inFeatures, numClasses, dtype: dtype, generator: generator));
    }

    /// <summary>The affine map; its weight rows are the lecture's w_k.</summary>
    public Linear Linear { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Linear.Call(input);

    /// <summary>
    /// The lecture's closed form of the gradient of the summed negative log-likelihood with respect to
    /// the weights: grad_{w_l} L = sum_n (y_l(phi_n) - t_{n,l}) phi_n, as a [K, D] tensor (bias: sum_n (y_l - t_l)).
    /// </summary>
    public static (Tensor Weight, Tensor Bias) ClosedFormGradient(Tensor weight, Tensor bias, Tensor phi, Tensor target)
    {
        using var noGrad = GradMode.NoGrad();
        var y = Tensor.Linear(phi, weight, bias).Softmax(1);           // [N, K]
        var t = target.OneHot(weight.Size(0), phi.DType);               // [N, K]
        var diff = y - t;
        return (diff.T().MatMul(phi), diff.Sum(0));
    }
}
