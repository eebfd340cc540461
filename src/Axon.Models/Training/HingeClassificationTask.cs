using Axon.Nn;

namespace Axon.Models.Training;

/// <summary>
/// Classification trained on the multiclass hinge loss (Weston-Watkins, <see cref="Functional.MultiMarginLoss"/>) instead
/// of cross-entropy: what makes a linear model (<see cref="LinearSvm"/>) a support vector machine. It reports accuracy
/// under <see cref="ClassificationTask.AccuracyKey"/>, so the trainer's reports read as for <see cref="ClassificationTask"/>.
/// The L2 penalty of the SVM is the trainer's (<see cref="TrainerOptions.L2"/>).
/// </summary>
public sealed class HingeClassificationTask : TrainingTask
{
    private readonly Module<Tensor, Tensor> model;

    /// <summary>A task over <paramref name="model"/>'s scores [N, K] with the hinge's <paramref name="margin"/> (1 by default).</summary>
    public HingeClassificationTask(Module<Tensor, Tensor> model, double margin = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(margin > 0) || !double.IsFinite(margin)) throw new ArgumentOutOfRangeException(nameof(margin), margin, "HingeClassificationTask: the margin must be positive and finite.");
        this.model = model;
        Margin = margin;
    }

    /// <inheritdoc/>
    public override Module Model => model;

    /// <summary>The margin the correct class's score must exceed the others' by.</summary>
    public double Margin { get; }

    /// <inheritdoc/>
    public override TaskLoss Loss(Tensor input, Tensor target)
    {
        var scores = model.Forward(input);
        var loss = Functional.MultiMarginLoss(scores, target, Margin);
        using var pred = scores.ArgMax(1);
        using var hits = pred.Eq(target);
        return new TaskLoss(loss, target.NumEl, new Dictionary<string, double>(StringComparer.Ordinal) { [ClassificationTask.AccuracyKey] = hits.Sum().Item() });
    }
}
