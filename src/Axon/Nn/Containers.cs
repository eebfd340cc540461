namespace Axon.Nn;

/// <summary>Runs its children in order, each on the previous one's output. Children are named "0", "1", ... as in PyTorch.</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> layers = [];

    /// <summary>Creates the container from layers in order.</summary>
    public Sequential(params Module[] modules)
    {
        foreach (var m in modules) Append(m);
    }

    /// <summary>Creates the container from named layers (state-dict keys use these names).</summary>
    public Sequential(IEnumerable<(string Name, Module Module)> modules)
    {
        foreach (var (name, m) in modules) { RegisterModule(name, m); layers.Add(m); }
    }

    /// <summary>Adds a layer at the end.</summary>
    public Sequential Append(Module module)
    {
        RegisterModule(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        layers.Add(module);
        return this;
    }

    /// <summary>Number of layers.</summary>
    public int Count => layers.Count;

    /// <summary>The layer at <paramref name="index"/>.</summary>
    public Module this[int index] => layers[index];

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var layer in layers) x = layer.Call(x);
        return x;
    }
}

/// <summary>Returns its input unchanged.</summary>
public sealed class Identity : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input;
}

/// <summary>Flattens dimensions startDim..endDim (default: all but the batch dimension). Shape: [N, *] -> [N, prod(*)].</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>First dimension to flatten.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>Last dimension to flatten.</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
