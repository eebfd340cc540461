namespace Axon.Tracing;

/// <summary>
/// Tracing: runs a function once on example inputs and records its forward pass as a <see cref="TracedGraph"/> of op
/// kinds, attributes and shapes, which can be read (ONNX export) and run again. Every op is recorded, whether or not a
/// gradient flows through it; control flow is not (the graph is the path the example took), and a tensor made outside
/// the ops (a parameter, a constant) enters the graph by reference.
/// <code>
/// model.Eval();
/// var graph = Trace.Of(model, x);
/// Console.WriteLine(graph);             // %v0 = Conv2d(%input0, %features.0.weight, %features.0.bias, stride=1, ...)
/// var y = graph.Run(otherBatch)[0];     // the same result, to the bit, as model.Forward(otherBatch)
/// </code>
/// </summary>
public static class Trace
{
    /// <summary>Traces <paramref name="function"/> on <paramref name="inputs"/>; <paramref name="names"/> may name the constants it meets (parameters).</summary>
    public static TracedGraph Of(Func<Tensor[], Tensor[]> function, Tensor[] inputs, Func<Tensor, string?>? names = null) => Of(function, inputs, names, null);

    /// <summary>
    /// Traces <paramref name="function"/>, a computation with <paramref name="module"/>'s layers (for example a
    /// variational autoencoder's mean code decoded): the constants it meets are named by the module's state-dict keys,
    /// and each node says which of its submodules ran it (<see cref="TraceNode.Module"/>).
    /// </summary>
    public static TracedGraph Of(Nn.Module module, Func<Tensor[], Tensor[]> function, Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(module);
        var names = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        foreach (var (key, tensor) in module.StateDict()) names.TryAdd(tensor, key);
        var modules = new Dictionary<Nn.Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (key, m) in module.NamedModules()) modules.TryAdd(m, key);
        return Of(function, inputs, t => names.GetValueOrDefault(t), m => modules.GetValueOrDefault(m));
    }

    private static TracedGraph Of(Func<Tensor[], Tensor[]> function, Tensor[] inputs, Func<Tensor, string?>? names, Func<Nn.Module, string?>? modules)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        using var tracer = new Tracer(inputs, names ?? (_ => null), modules);
        var outputs = function(inputs);
        return tracer.Finish(outputs);
    }

    /// <summary>
    /// Traces one call of <paramref name="module"/> on <paramref name="input"/> (a tensor, or tuples and arrays of them):
    /// the graph's inputs are the tensors inside the input and its outputs those inside the output, in order; the
    /// module's parameters and buffers are named by their state-dict keys.
    /// </summary>
    public static TracedGraph Of<TIn, TOut>(Nn.Module<TIn, TOut> module, TIn input)
    {
        ArgumentNullException.ThrowIfNull(module);
        var inputs = Nn.ModuleSummary.Tensors(input).ToArray();
        return Of(module, _ => Nn.ModuleSummary.Tensors(module.Call(input)).ToArray(), inputs);
    }
}
