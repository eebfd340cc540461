using System.Globalization;

namespace Axon.Nn;

/// <summary>A loss criterion: <c>loss.Forward(input, target)</c> returns the (reduced) loss, as torch.nn loss modules.</summary>
public abstract class Loss(Reduction reduction)
{
    /// <summary>How per-sample losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>Computes the loss.</summary>
    public abstract Tensor Forward(Tensor input, Tensor target);

    /// <summary>Arguments shown in the repr.</summary>
    protected virtual string ExtraRepr() => "";

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name}({ExtraRepr()})";
}

/// <summary>Mean squared error.</summary>
public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, Reduction);
}

/// <summary>Binary cross-entropy on probabilities (after a sigmoid).</summary>
public sealed class BCELoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropy(input, target, Reduction);
}

/// <summary>Binary cross-entropy on logits (sigmoid folded in, numerically stable).</summary>
public sealed class BCEWithLogitsLoss(Reduction reduction = Reduction.Mean, Tensor? posWeight = null) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropyWithLogits(input, target, Reduction, posWeight);
}

/// <summary>Multiclass cross-entropy from logits, with class-index or probability targets.</summary>
public sealed class CrossEntropyLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, double labelSmoothing = 0) : Loss(reduction)
{
    /// <summary>Label smoothing factor in [0, 1].</summary>
    public double LabelSmoothing { get; } = labelSmoothing >= 0 && labelSmoothing <= 1 ? labelSmoothing : throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "labelSmoothing must be in [0, 1].");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.CrossEntropy(input, target, weight, Reduction, LabelSmoothing);

    /// <inheritdoc/>
    protected override string ExtraRepr() => LabelSmoothing == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"label_smoothing={LabelSmoothing}");
}

/// <summary>Negative log-likelihood of class indices given log-probabilities.</summary>
public sealed class NLLLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.NllLoss(input, target, weight, Reduction);
}

/// <summary>Multilabel cross-entropy: independent sigmoid + binary cross-entropy per label.</summary>
public sealed class MultiLabelSoftMarginLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MultiLabelSoftMarginLoss(input, target, Reduction);
}

/// <summary>Binary hinge (SVM) loss with labels in {-1, +1}.</summary>
public sealed class HingeLoss(double margin = 1.0, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The margin.</summary>
    public double Margin { get; } = margin;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.HingeLoss(input, target, Margin, Reduction);

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"margin={Margin}");
}

/// <summary>Multiclass hinge (SVM) loss on class indices.</summary>
public sealed class MultiMarginLoss(double margin = 1.0, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The margin.</summary>
    public double Margin { get; } = margin;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MultiMarginLoss(input, target, Margin, Reduction);

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"margin={Margin}");
}

/// <summary>The perceptron criterion max(0, -y f(x)) with labels in {-1, +1}.</summary>
public sealed class PerceptronLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.PerceptronLoss(input, target, Reduction);
}
