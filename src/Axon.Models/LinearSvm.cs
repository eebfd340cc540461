using Axon.Nn;

namespace Axon.Models;

/// <summary>
/// A multiclass linear support vector machine: one score per class, s = W x + b, predicting the highest. Trained (by
/// <see cref="Training.HingeClassificationTask"/>) on the Weston-Watkins multiclass hinge loss, PyTorch's
/// <c>MultiMarginLoss</c>: (1/K) Σ_{j≠y} max(0, margin − s_y + s_j), plus an L2 penalty λ‖W‖² on the weights, the lecture's
/// λ‖w‖² + (1/N) Σ max(0, 1 − y (w·x + b)) for K classes. With N training samples, λ = 1/(2CN) is the C of a
/// soft-margin SVM that sums its hinge losses (C large: a hard margin). Shape: input [N, D] -> scores [N, K].
/// </summary>
public sealed class LinearSvm : Module<Tensor, Tensor>
{
    /// <summary>Creates the machine for <paramref name="inFeatures"/> features and <paramref name="numClasses"/> classes.</summary>
    public LinearSvm(int inFeatures, int numClasses, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "LinearSvm: a classifier needs at least 2 classes.");
        Linear = RegisterModule("linear", new Linear(inFeatures, numClasses, dtype: dtype, generator: generator));
    }

    /// <summary>The affine map; row k of its weight is class k's w_k.</summary>
    public Linear Linear { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Linear.Call(input);
}
