using Axon.Nn;

namespace Axon.Models.Training;

/// <summary>
/// The plainest task: a model and a loss function of (output, target), such as regression with
/// <c>new SupervisedTask(model, (y, t) =&gt; Functional.MseLoss(y, t))</c>. It reports no metric beyond the loss; a task
/// that needs one, or its own step, derives from <see cref="TrainingTask"/>.
/// </summary>
public sealed class SupervisedTask : TrainingTask
{
    private readonly Module<Tensor, Tensor> model;
    private readonly Func<Tensor, Tensor, Tensor> loss;

    /// <summary>A task training <paramref name="model"/> to minimise <paramref name="loss"/>(model(input), target), a scalar mean over the batch.</summary>
    public SupervisedTask(Module<Tensor, Tensor> model, Func<Tensor, Tensor, Tensor> loss)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        this.model = model;
        this.loss = loss;
    }

    /// <inheritdoc/>
    public override Module Model => model;

    /// <inheritdoc/>
    public override TaskLoss Loss(Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        var value = loss(model.Forward(input), target);
        if (value.NumEl != 1)
            throw new InvalidOperationException($"SupervisedTask: the loss function returned a tensor of shape [{string.Join(", ", value.Shape.ToArray())}]; it must return a scalar (a mean over the batch).");
        return new TaskLoss(value, input.Size(0));
    }
}
