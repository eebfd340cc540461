using System.Text;

namespace Axon.Nn;

/// <summary>
/// Base class of every layer and model, as torch.nn.Module: named parameters, buffers and child modules,
/// train/eval mode, <see cref="StateDict"/> with PyTorch's dotted keys (<c>layers.0.weight</c>), the device
/// (<see cref="To(Axon.Device)"/>), and a repr printed like PyTorch's. It says nothing about what the module takes and
/// returns: that is <see cref="Module{TIn, TOut}"/>, with <c>Module&lt;Tensor, Tensor&gt;</c> the common case (every
/// layer) and any other input or output (a pair of images, an output with a recurrent state) where a model needs it.
/// Subclasses create parameters in the constructor, initialise them in <see cref="ResetParameters"/>, and implement
/// <c>Forward</c>; containers call their children with <c>Call</c>, which runs the forward hooks.
/// </summary>
public abstract partial class Module
{
    private readonly List<KeyValuePair<string, Tensor?>> parameters = [];
    private readonly List<KeyValuePair<string, Tensor>> buffers = [];
    private readonly List<KeyValuePair<string, Module>> children = [];
    private readonly List<Action<Module, object?, object?>> forwardHooks = [];

    private bool training = true;

    /// <summary>
    /// True in training mode (dropout active, batch norm uses batch statistics). A batch-norm layer frozen by
    /// <see cref="Freeze(string[])"/> stays in eval mode whatever <see cref="Train"/> asks, until it is unfrozen.
    /// </summary>
    public bool Training
    {
        get => training && !statisticsFrozen;
        private set => training = value;
    }

    /// <summary>Adds a hook run after each call with the input and output as objects (whatever the module's types); dispose to remove.</summary>
    internal IDisposable AddForwardHook(Action<Module, object?, object?> hook)
    {
        forwardHooks.Add(hook);
        return new Removal(() => forwardHooks.Remove(hook));
    }

    /// <summary>Runs the forward hooks after a call.</summary>
    private protected void RunForwardHooks(object? input, object? output)
    {
        if (forwardHooks.Count == 0) return;
        foreach (var hook in forwardHooks.ToArray()) hook(this, input, output);
    }

    /// <summary>
    /// Whether any forward hook is registered on this module: a container that fuses it with its neighbours into one op
    /// must then call it on its own, so that the hook sees its output.
    /// </summary>
    public bool HasForwardHooks => forwardHooks.Count > 0;

    private protected sealed class Removal(Action remove) : IDisposable
    {
        private Action? remove = remove;

        public void Dispose() { remove?.Invoke(); remove = null; }
    }

    /// <summary>Registers a learnable tensor under <paramref name="name"/> (null registers an absent optional parameter such as a disabled bias).</summary>
    protected Tensor? RegisterParameter(string name, Tensor? value)
    {
        CheckName(name);
        if (value is not null)
        {
            if (!value.IsLeaf) throw new ArgumentException($"Parameter '{name}' must be a leaf tensor (not the output of an op); use Detach().", nameof(value));
            if (!value.DType.IsFloatingPoint()) throw new ArgumentException($"Parameter '{name}' must be floating-point, got {value.DType.TorchName()}.", nameof(value));
            value.RequiresGrad = true;
        }
        parameters.Add(new(name, value));
        return value;
    }

    /// <summary>Registers a non-learnable tensor that belongs to the state (e.g. running statistics).</summary>
    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        CheckName(name);
        buffers.Add(new(name, value));
        return value;
    }

    /// <summary>Registers a child module under <paramref name="name"/>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        children.Add(new(name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.', StringComparison.Ordinal)) throw new ArgumentException($"Invalid name '{name}': names must be non-empty and contain no '.'.", nameof(name));
        if (parameters.Any(p => p.Key == name) || buffers.Any(b => b.Key == name) || children.Any(c => c.Key == name))
            throw new ArgumentException($"'{name}' is already registered in {GetType().Name}.", nameof(name));
    }

    /// <summary>Replaces a registered buffer's tensor (e.g. after loading).</summary>
    protected void SetBuffer(string name, Tensor value)
    {
        int i = buffers.FindIndex(b => b.Key == name);
        if (i < 0) throw new ArgumentException($"No buffer named '{name}' in {GetType().Name}.", nameof(name));
        buffers[i] = new(name, value);
    }

    /// <summary>Direct children, in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => children.Select(c => (c.Key, c.Value));

    /// <summary>This module and all descendants with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in NamedChildren())
            foreach (var m in child.NamedModules(prefix.Length == 0 ? name : prefix + "." + name))
                yield return m;
    }

    /// <summary>All parameters with dotted names, in registration order (each tensor once).</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in NamedModules())
            foreach (var p in m.parameters)
                if (p.Value is not null && seen.Add(p.Value))
                    yield return (prefix.Length == 0 ? p.Key : prefix + "." + p.Key, p.Value);
    }

    /// <summary>All parameters (what an optimiser updates).</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>All buffers with dotted names.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        foreach (var (prefix, m) in NamedModules())
            foreach (var b in m.buffers)
                yield return (prefix.Length == 0 ? b.Key : prefix + "." + b.Key, b.Value);
    }

    /// <summary>Parameters and buffers by PyTorch's dotted names, in PyTorch's order (per module: parameters, then buffers).</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> StateDict()
    {
        var result = new List<KeyValuePair<string, Tensor>>();
        foreach (var (prefix, m) in NamedModules())
        {
            string P(string k) => prefix.Length == 0 ? k : prefix + "." + k;
            foreach (var p in m.parameters) if (p.Value is not null) result.Add(new(P(p.Key), p.Value));
            foreach (var b in m.buffers) result.Add(new(P(b.Key), b.Value));
        }
        return result;
    }

    /// <summary>
    /// Copies tensors into this module's parameters and buffers by name. With <paramref name="strict"/>, missing
    /// or unexpected keys are an error; a shape mismatch is always an error naming the key and both shapes. Everything
    /// is checked before anything is copied, so a state that does not fit leaves the module unchanged.
    /// </summary>
    /// <exception cref="ArgumentException">The state does not fit (the message lists every missing, unexpected and mismatched key).</exception>
    public void LoadStateDict(IEnumerable<KeyValuePair<string, Tensor>> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var given = state as IReadOnlyList<KeyValuePair<string, Tensor>> ?? [.. state];
        CheckStateDict(given, strict);
        var own = StateDict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        using (GradMode.NoGrad())
            foreach (var (key, value) in given)
                if (own.TryGetValue(key, out var target)) target.CopyFrom(value);
    }

    /// <summary>
    /// The one check of a state dict against this module, before anything is copied: throws one
    /// <see cref="ArgumentException"/> listing the missing and unexpected keys (with <paramref name="strict"/>) and every size
    /// mismatch. <paramref name="source"/> names where the state comes from (a file); the message then says so.
    /// </summary>
    internal void CheckStateDict(IReadOnlyList<KeyValuePair<string, Tensor>> state, bool strict, string? source = null)
    {
        var ownList = StateDict();
        var own = ownList.Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        var given = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, v) in state) given[k] = v;
        var problems = new List<string>();
        if (strict)
        {
            var missing = ownList.Select(kv => kv.Key).Where(k => !given.ContainsKey(k)).ToList();
            var unexpected = state.Select(kv => kv.Key).Where(k => !own.Contains(k)).ToList();
            if (missing.Count > 0) problems.Add($"missing keys: {string.Join(", ", missing)}");
            if (unexpected.Count > 0) problems.Add($"unexpected keys: {string.Join(", ", unexpected)}");
        }
        foreach (var (key, target) in ownList)   // in the module's order
            if (given.TryGetValue(key, out var value) && !target.Shape.SequenceEqual(value.Shape))
                problems.Add(source is null
                    ? $"size mismatch for {key}: copying a tensor of shape {Fmt(value.Shape)}, the shape in the current model is {Fmt(target.Shape)}"
                    : $"size mismatch for {key}: the file has shape {Fmt(value.Shape)}, the model has {Fmt(target.Shape)}");
        if (problems.Count == 0) return;
        string detail = string.Join("; ", problems);
        throw new ArgumentException(source is null
            ? $"Error(s) in loading state dict for {GetType().Name}: {detail}."
            : $"{source}: the weights do not fit {GetType().Name}: {detail}.", nameof(state));
    }

    internal static string Fmt(ReadOnlySpan<int> s) => "[" + string.Join(", ", s.ToArray()) + "]";

    /// <summary>Sets training mode on this module and its descendants.</summary>
    public Module Train(bool mode = true)
    {
        foreach (var (_, m) in NamedModules()) m.Training = mode;
        return this;
    }

    /// <summary>Sets evaluation mode (same as Train(false)).</summary>
    public Module Eval() => Train(false);

    /// <summary>
    /// Moves every parameter, buffer and gradient to <paramref name="device"/> in place, as PyTorch's <c>module.to(device)</c>:
    /// the tensor objects stay the same (so an optimiser built over them keeps working; its state follows at the next step
    /// or when loaded), only their memory moves.
    /// </summary>
    public Module To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        foreach (var (_, m) in NamedModules())
        {
            foreach (var p in m.parameters)
            {
                if (p.Value is null) continue;
                p.Value.MoveTo(device);
                p.Value.Grad?.MoveTo(device);
            }
            foreach (var b in m.buffers) b.Value.MoveTo(device);
        }
        return this;
    }

    /// <summary>
    /// Converts every floating-point parameter, gradient and buffer to the floating-point <paramref name="dtype"/> in
    /// place, as PyTorch's <c>module.to(torch.float64)</c> (or <c>module.double()</c>): integer buffers such as batch
    /// norm's <c>num_batches_tracked</c> stay as they are, and the tensor objects stay the same. A float64 copy of a
    /// model is the yardstick for its float32 rounding, and what gradient checks run on.
    /// </summary>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"Module.To: parameters convert only to a floating-point dtype, got {dtype.TorchName()}.", nameof(dtype));
        foreach (var (_, m) in NamedModules())
        {
            foreach (var p in m.parameters)
            {
                if (p.Value is null || !p.Value.DType.IsFloatingPoint()) continue;
                p.Value.ConvertTo(dtype);
                p.Value.Grad?.ConvertTo(dtype);
            }
            foreach (var b in m.buffers)
                if (b.Value.DType.IsFloatingPoint()) b.Value.ConvertTo(dtype);
        }
        return this;
    }

    /// <summary>The device of the first parameter or buffer (the CPU for a module without any).</summary>
    public Device Device => Parameters().Concat(NamedBuffers().Select(b => b.Buffer)).FirstOrDefault()?.Device ?? Device.Cpu;

    /// <summary>Clears the gradients of all parameters (set to null, as PyTorch's default).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad = null;
    }

    /// <summary>Re-initialises parameters of this module and its descendants (each module's PyTorch default).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        foreach (var (_, m) in NamedModules()) m.ResetOwnParameters(generator ?? Generator.Default);
    }

    /// <summary>Initialises this module's own parameters (not its children's). Override in layers with parameters.</summary>
    protected virtual void ResetOwnParameters(Generator generator) { }

    /// <summary>Total number of parameter elements (trainable ones only with <paramref name="trainableOnly"/>).</summary>
    public long ParameterCount(bool trainableOnly = false) => Parameters().Where(p => !trainableOnly || p.RequiresGrad).Sum(p => (long)p.NumEl);

    /// <summary>The arguments shown inside the parentheses of the repr, e.g. "in_features=2, out_features=3, bias=True".</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>The module's name in the repr (the class name by default).</summary>
    protected virtual string ReprName => GetType().Name;

    /// <summary>PyTorch-style repr with children indented.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(ReprName).Append('(');
        var extra = ExtraRepr();
        if (children.Count == 0) return sb.Append(extra).Append(')').ToString();
        if (extra.Length > 0) sb.Append("\n  ").Append(extra);
        foreach (var (name, child) in NamedChildren())
            sb.Append("\n  (").Append(name).Append("): ").Append(child.ToString().Replace("\n", "\n  ", StringComparison.Ordinal));
        return sb.Append("\n)").ToString();
    }

    /// <summary>The parameter elements this module holds itself (not its children).</summary>
    internal long OwnParameterCount => parameters.Where(p => p.Value is not null).Sum(p => (long)p.Value!.NumEl);
}
