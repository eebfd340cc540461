namespace Axon.Nn;

/// <summary>
/// A module that maps a <typeparamref name="TIn"/> to a <typeparamref name="TOut"/>: <c>Module&lt;Tensor, Tensor&gt;</c>
/// for every layer, and for models that take or return more, any types built from tensors (tuples, arrays), e.g. a
/// Siamese network <c>Module&lt;(Tensor, Tensor), Tensor&gt;</c> or a recurrent layer
/// <c>Module&lt;Tensor, (Tensor Output, (Tensor H, Tensor C) State)&gt;</c>. Hooks, <see cref="ModuleSummary"/> and
/// tracing (<see cref="Tracing.Trace"/>) see the tensors inside whatever the types are.
/// </summary>
/// <typeparam name="TIn">What <see cref="Forward"/> takes.</typeparam>
/// <typeparam name="TOut">What it returns.</typeparam>
public abstract class Module<TIn, TOut> : Module
{
    /// <summary>The computation of the module. Shape conventions are given in each module's docs.</summary>
    public abstract TOut Forward(TIn input);

    /// <summary>Runs <see cref="Forward"/> and then the forward hooks (like calling <c>module(x)</c> in PyTorch).</summary>
    public TOut Call(TIn input)
    {
        // A trace notes which module each op ran in (for the exporter's errors); off the trace this is one thread-static read.
        var tracer = Tracing.Tracer.Current;
        tracer?.EnterModule(this);
        TOut output;
        try
        {
            output = Forward(input);
        }
        finally
        {
            tracer?.ExitModule();
        }
        RunForwardHooks(input, output);
        return output;
    }

    /// <summary>Registers hook(module, input, output), run after each <see cref="Call"/>. Dispose the result to remove it.</summary>
    public IDisposable RegisterForwardHook(Action<Module<TIn, TOut>, TIn, TOut> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return AddForwardHook((m, i, o) => hook((Module<TIn, TOut>)m, (TIn)i!, (TOut)o!));
    }

    /// <summary>Sets training mode on this module and its descendants; returns this module (for <c>model.Train().Forward(x)</c>).</summary>
    public new Module<TIn, TOut> Train(bool mode = true) => (Module<TIn, TOut>)base.Train(mode);

    /// <summary>Sets evaluation mode; returns this module (for <c>model.Eval().Forward(x)</c>).</summary>
    public new Module<TIn, TOut> Eval() => (Module<TIn, TOut>)base.Eval();

    /// <summary>Moves the parameters and buffers to <paramref name="device"/>; returns this module.</summary>
    public new Module<TIn, TOut> To(Device device) => (Module<TIn, TOut>)base.To(device);

    /// <summary>Converts the floating-point parameters and buffers to <paramref name="dtype"/>; returns this module.</summary>
    public new Module<TIn, TOut> To(DType dtype) => (Module<TIn, TOut>)base.To(dtype);

    /// <summary>
    /// A table of every module reached through <c>Call</c> during one forward pass on <paramref name="example"/> (in eval
    /// mode, without recording): its output's shapes, its parameter count, units and connections (see <see cref="ModuleSummary"/>).
    /// </summary>
    public string Summary(TIn example) => ModuleSummary.Of(this, () => Call(example), example);
}
