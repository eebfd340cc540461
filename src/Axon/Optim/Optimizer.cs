using System.Globalization;

namespace Axon.Optim;

/// <summary>
/// Base class of the optimisers, as torch.optim.Optimizer: parameter groups with their own hyper-parameters,
/// per-parameter state (momentum buffers, running averages), <see cref="ZeroGrad"/>, <see cref="Step()"/>,
/// and a state dict that restores a run exactly.
/// </summary>
/// <remarks>
/// <para>State tensors are created outside any <see cref="TensorScope"/>, so a training step wrapped in a scope
/// never disposes them. <see cref="Step()"/> reads and writes the parameters' data directly (it is never recorded by autograd).</para>
/// <para>State dict layout (see <see cref="OptimizerState"/>): scalars <c>param_groups.{g}.{option}</c> and
/// <c>param_groups.{g}.num_params</c> for each group, and <c>state.{i}.{name}</c> (tensors or scalars) for the
/// i-th parameter counted over all groups in order, as PyTorch numbers them.</para>
/// </remarks>
public abstract class Optimizer
{
    /// <summary>Key of ε, the small constant of the adaptive optimisers (a <see cref="ParamGroup"/> option).</summary>
    public const string EpsKey = "eps";

    /// <summary>Key of the maximize flag, 0 or 1 (a <see cref="ParamGroup"/> option).</summary>
    public const string MaximizeKey = "maximize";

    /// <summary>Key of the momentum factor (a <see cref="ParamGroup"/> option of SGD and RMSprop).</summary>
    public const string MomentumKey = "momentum";

    /// <summary>Name of the per-parameter step counter in <see cref="ParameterState.Scalars"/>.</summary>
    public const string StepKey = "step";

    private const string NumParamsKey = "num_params";
    private readonly List<ParamGroup> groups = [];
    private readonly Dictionary<Tensor, ParameterState> state = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, double> defaults;

    /// <summary>Creates an optimiser over one group holding <paramref name="parameters"/>, with the given default hyper-parameters.</summary>
    protected Optimizer(IEnumerable<Tensor> parameters, IReadOnlyDictionary<string, double> defaults)
        : this([new ParamGroup(parameters ?? throw new ArgumentNullException(nameof(parameters)))], defaults)
    {
    }

    /// <summary>Creates an optimiser over several groups; options a group leaves unset take <paramref name="defaults"/>.</summary>
    protected Optimizer(IEnumerable<ParamGroup> groups, IReadOnlyDictionary<string, double> defaults)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(defaults);
        this.defaults = new Dictionary<string, double>(defaults, StringComparer.Ordinal);
        var list = groups.ToList();
        if (list.Count == 0 || list.All(g => g.Parameters.Count == 0))
            throw new ArgumentException("The optimizer got an empty parameter list.", nameof(groups));
        foreach (var g in list) AddGroup(g, nameof(groups));
    }

    /// <summary>The parameter groups (PyTorch's <c>param_groups</c>); change their <see cref="ParamGroup.Lr"/> to adjust rates.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => groups;

    /// <summary>The default hyper-parameters given to the constructor.</summary>
    public IReadOnlyDictionary<string, double> Defaults => defaults;

    /// <summary>Every parameter of every group, in the order the state dict numbers them.</summary>
    public IEnumerable<Tensor> Parameters() => groups.SelectMany(g => g.Parameters);

    /// <summary>Adds a group (e.g. layers unfrozen during fine-tuning); unset options take the defaults.</summary>
    public void AddParamGroup(ParamGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        AddGroup(group, nameof(group));
    }

    private void AddGroup(ParamGroup group, string argName)
    {
        foreach (var p in group.Parameters)
        {
            if (!p.IsLeaf) throw new ArgumentException("The optimizer can only optimize leaf tensors (not the output of an op); use Detach().", argName);
            if (!p.DType.IsFloatingPoint()) throw new ArgumentException($"The optimizer can only optimize floating-point tensors, got {p.DType.TorchName()}.", argName);
            if (!p.IsContiguous) throw new ArgumentException($"The optimizer updates parameters in place and needs contiguous tensors; got one of shape {ShapeUtil.Format(p.ShapeArray)} with strides {ShapeUtil.Format(p.StrideArray)}.", argName);
        }
        var seen = new HashSet<Tensor>(groups.SelectMany(g => g.Parameters), ReferenceEqualityComparer.Instance);
        foreach (var p in group.Parameters)
            if (!seen.Add(p)) throw new ArgumentException("Some parameters appear in more than one parameter group (or twice in one).", argName);
        group.ApplyDefaults(defaults);
        ValidateGroup(group, groups.Count);
        groups.Add(group);
    }

    /// <summary>
    /// Checks the hyper-parameters of a group (after defaults were applied) and throws
    /// <see cref="ArgumentOutOfRangeException"/> naming the offending constructor parameter.
    /// </summary>
    protected abstract void ValidateGroup(ParamGroup group, int index);

    /// <summary>Clears the gradients: sets them to null (PyTorch's default) or, with <paramref name="setToNone"/> false, fills them with zeros.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var g in groups)
            foreach (var p in g.ParameterList)
            {
                if (setToNone) p.Grad = null;
                else p.Grad?.Zero();
            }
    }

    /// <summary>Performs one update of every parameter that has a gradient.</summary>
    public abstract void Step();

    /// <summary>Evaluates <paramref name="closure"/> (which should zero the gradients, compute the loss and call Backward), then steps; returns the loss.</summary>
    public Tensor Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        var loss = closure();
        Step();
        return loss;
    }

    /// <summary>The state of <paramref name="parameter"/>, or null before its first update.</summary>
    public ParameterState? GetState(Tensor parameter) => state.TryGetValue(parameter, out var s) ? s : null;

    /// <summary>The state of <paramref name="parameter"/>, created empty the first time.</summary>
    protected ParameterState GetOrCreateState(Tensor parameter)
    {
        if (!state.TryGetValue(parameter, out var s))
        {
            s = new ParameterState();
            state[parameter] = s;
        }
        return s;
    }

    /// <summary>The state of <paramref name="parameter"/>, created empty the first time (for kernels shared between optimisers).</summary>
    internal ParameterState StateOf(Tensor parameter) => GetOrCreateState(parameter);

    /// <summary>Creates a state tensor outside any <see cref="TensorScope"/> (so a scoped training step does not dispose it).</summary>
    protected static Tensor CreateStateTensor(Func<Tensor> create) => TensorScope.Unscoped(create);

    /// <summary>
    /// The state tensor <paramref name="name"/> of a parameter, created the first time (outside any <see cref="TensorScope"/>)
    /// with the shape and dtype of <paramref name="parameter"/>, filled with <paramref name="fill"/>.
    /// </summary>
    protected static Tensor StateTensor(ParameterState state, string name, Tensor parameter, double fill = 0)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.Tensors.TryGetValue(name, out var t))
        {
            t = NewStateTensor(parameter, fill);
            state.Tensors[name] = t;
        }
        return t;
    }

    // A separate method so that the closure is allocated only when a tensor is created, not on every step.
    private static Tensor NewStateTensor(Tensor parameter, double fill) =>
        TensorScope.Unscoped(() => Tensor.Full(parameter.ShapeArray, fill, parameter.DType, parameter.Device));

    /// <summary>
    /// A snapshot of the groups' hyper-parameters and of every parameter's state (tensors are copies), which
    /// <see cref="LoadStateDict"/> restores exactly into an optimiser built over the same parameters.
    /// </summary>
    public virtual OptimizerState StateDict()
    {
        var result = new OptimizerState();
        int index = 0;
        for (int g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            foreach (var (k, v) in group.Options) result.Scalars[FormattableString.Invariant($"param_groups.{g}.{k}")] = v;
            result.Scalars[FormattableString.Invariant($"param_groups.{g}.{NumParamsKey}")] = group.Parameters.Count;
            foreach (var p in group.ParameterList)
            {
                if (state.TryGetValue(p, out var s))
                {
                    foreach (var (name, t) in s.Tensors) result.Tensors[FormattableString.Invariant($"state.{index}.{name}")] = TensorScope.Unscoped(t.CloneData);
                    foreach (var (name, v) in s.Scalars) result.Scalars[FormattableString.Invariant($"state.{index}.{name}")] = v;
                }
                index++;
            }
        }
        return result;
    }

    /// <summary>
    /// Restores a snapshot taken by <see cref="StateDict"/>: the groups' hyper-parameters are replaced and the
    /// per-parameter state is copied. The optimiser must have the same number of groups and of parameters per group.
    /// </summary>
    public virtual void LoadStateDict(OptimizerState stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var groupOptions = new Dictionary<int, Dictionary<string, double>>();
        var perParam = new Dictionary<int, ParameterState>();
        int total = groups.Sum(g => g.Parameters.Count);
        foreach (var (key, value) in stateDict.Scalars)
        {
            var (section, index, name) = ParseKey(key);
            if (section == "param_groups")
            {
                if (!groupOptions.TryGetValue(index, out var o)) groupOptions[index] = o = new(StringComparer.Ordinal);
                o[name] = value;
            }
            else SlotFor(perParam, index, total, key).Scalars[name] = value;
        }
        foreach (var (key, _) in stateDict.Tensors)
        {
            var (section, index, _) = ParseKey(key);
            if (section != "state") throw new ArgumentException($"Optimizer state dict: unexpected tensor entry '{key}'.", nameof(stateDict));
            SlotFor(perParam, index, total, key);
        }
        if (groupOptions.Count != groups.Count || Enumerable.Range(0, groups.Count).Any(g => !groupOptions.ContainsKey(g)))
            throw new ArgumentException($"Optimizer state dict: it has {groupOptions.Count} parameter groups, this optimizer has {groups.Count}.", nameof(stateDict));
        for (int g = 0; g < groups.Count; g++)
        {
            var o = groupOptions[g];
            if (!o.TryGetValue(NumParamsKey, out var n) || (int)n != groups[g].Parameters.Count)
                throw new ArgumentException($"Optimizer state dict: parameter group {g} has {(o.TryGetValue(NumParamsKey, out var m) ? m.ToString(CultureInfo.InvariantCulture) : "an unknown number of")} parameters, this optimizer's has {groups[g].Parameters.Count}.", nameof(stateDict));
        }

        // Everything checked: now replace.
        var flat = Parameters().ToList();
        foreach (var (key, t) in stateDict.Tensors)
        {
            var (_, index, name) = ParseKey(key);
            var p = flat[index];
            // State tensors follow their parameter's device; those of its shape also its floating-point type.
            if (t.DType.IsFloatingPoint() && t.DType != p.DType && ShapeUtil.SameShape(t.ShapeArray, p.ShapeArray))
                perParam[index].Tensors[name] = TensorScope.Unscoped(() => t.CloneTo(p.Device, p.DType));
            else perParam[index].Tensors[name] = TensorScope.Unscoped(() => t.CloneTo(p.Device));
        }
        for (int g = 0; g < groups.Count; g++)
            foreach (var (k, v) in groupOptions[g])
                if (k != NumParamsKey) groups[g][k] = v;
        foreach (var s in state.Values) s.DisposeTensors();
        state.Clear();
        foreach (var (index, s) in perParam) state[flat[index]] = s;
        OnStateLoaded();
    }

    /// <summary>Called at the end of <see cref="LoadStateDict"/> so subclasses can refresh what they derive from the state.</summary>
    protected virtual void OnStateLoaded() { }

    private static ParameterState SlotFor(Dictionary<int, ParameterState> perParam, int index, int total, string key)
    {
        if (index >= total) throw new ArgumentException($"Optimizer state dict: entry '{key}' refers to parameter {index}, but this optimizer has {total} parameters.", nameof(key));
        if (!perParam.TryGetValue(index, out var s)) perParam[index] = s = new ParameterState();
        return s;
    }

    private static (string Section, int Index, string Name) ParseKey(string key)
    {
        var parts = key.Split('.', 3);
        if (parts.Length != 3 || (parts[0] != "state" && parts[0] != "param_groups")
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index) || parts[2].Length == 0)
            throw new ArgumentException($"Optimizer state dict: unexpected key '{key}' (expected 'state.{{i}}.{{name}}' or 'param_groups.{{g}}.{{option}}').", nameof(key));
        return (parts[0], index, parts[2]);
    }

    /// <summary>Reads a boolean option stored as 0/1.</summary>
    protected static bool Flag(ParamGroup group, string key) => group.Has(key) && group[key] != 0;

    /// <summary>Checks that a value is finite and non-negative.</summary>
    protected static void CheckNonNegative(double value, string paramName, string what, int? groupIndex = null)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(paramName, value, $"Invalid {what}: {value.ToString(CultureInfo.InvariantCulture)}{(groupIndex is int g ? FormattableString.Invariant($" (parameter group {g})") : "")}; it must be finite and non-negative.");
    }

    /// <summary>Checks that a value lies in [<paramref name="low"/>, <paramref name="high"/>] (or [low, high) when <paramref name="highExclusive"/>).</summary>
    protected static void CheckInRange(double value, string paramName, string what, double low, double high, bool highExclusive, int? groupIndex = null)
    {
        if (!(value >= low) || !(highExclusive ? value < high : value <= high))
        {
            string range = FormattableString.Invariant($"[{low}, {high}{(highExclusive ? ")" : "]")}");
            throw new ArgumentOutOfRangeException(paramName, value, $"Invalid {what}: {value.ToString(CultureInfo.InvariantCulture)}{(groupIndex is int g ? FormattableString.Invariant($" (parameter group {g})") : "")}; it must be in {range}.");
        }
    }

    /// <summary>Throws when the gradient's shape or dtype does not match its parameter, and returns it as a contiguous tensor.</summary>
    protected static Tensor CheckedGrad(Tensor p, Tensor grad)
    {
        if (!ShapeUtil.SameShape(p.ShapeArray, grad.ShapeArray) || p.DType != grad.DType)
            throw new InvalidOperationException($"A gradient of shape {ShapeUtil.Format(grad.ShapeArray)} ({grad.DType.TorchName()}) does not match its parameter {ShapeUtil.Format(p.ShapeArray)} ({p.DType.TorchName()}).");
        return grad.IsContiguous ? grad : grad.CloneData();
    }
}

/// <summary>The state an optimiser keeps for one parameter: named tensors (e.g. "momentum_buffer") and named scalars (e.g. "step").</summary>
public sealed class ParameterState
{
    /// <summary>Named state tensors, e.g. "momentum_buffer" (SGD) or "ax" (averaged SGD).</summary>
    public Dictionary<string, Tensor> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>Named scalar state, e.g. "step".</summary>
    public Dictionary<string, double> Scalars { get; } = new(StringComparer.Ordinal);

    internal void DisposeTensors()
    {
        foreach (var t in Tensors.Values) t.Dispose();
        Tensors.Clear();
    }
}

/// <summary>
/// A serialisable snapshot of an optimiser: named tensors and named scalars (all hyper-parameters and counters are doubles).
/// Keys follow PyTorch's nesting flattened with dots: <c>state.0.momentum_buffer</c>, <c>param_groups.0.lr</c>.
/// </summary>
public sealed class OptimizerState
{
    /// <summary>State tensors by key (copies owned by the snapshot).</summary>
    public Dictionary<string, Tensor> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>Hyper-parameters and counters by key.</summary>
    public Dictionary<string, double> Scalars { get; } = new(StringComparer.Ordinal);
}
