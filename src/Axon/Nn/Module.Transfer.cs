using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Axon.Nn;

/// <summary>
/// Transfer learning on any module: freezing and unfreezing parameters by name pattern, looking up and replacing
/// submodules by their dotted names (a new classifier head), as PyTorch users do with <c>requires_grad_(False)</c>,
/// <c>get_submodule</c> and <c>model.fc = nn.Linear(...)</c>.
/// <code>
/// model.Freeze();                                   // every parameter
/// model.ReplaceModule("fc", new Linear(128, 5));    // a new head, trainable
/// model.Unfreeze("layer3");                         // fine-tune the last stage too
/// var sgd = new Sgd(ParamGroups.ByPattern(model, ("fc", 0.01), ("*", 0.001)), momentum: 0.9);
/// </code>
/// </summary>
/// <remarks>
/// <para><b>Patterns</b> are globs over the dotted names: <c>*</c> matches any run of characters (dots included),
/// <c>?</c> one character. A pattern selects a parameter when it matches the parameter's name (<c>layer4.*</c>,
/// <c>*.bias</c>) or the name of a module holding it (<c>fc</c>, <c>layer1.0</c>). A pattern that selects nothing is an
/// error naming it, so a typo cannot silently leave a layer trainable.</para>
/// <para><b>Batch norm.</b> Freezing a parameter stops its gradient, but a batch-norm layer in training mode still
/// normalises with the batch's statistics and updates its running averages, so "frozen" features would drift. By
/// default, therefore, a batch-norm layer (with running statistics) whose parameters are all frozen is kept in eval
/// mode, whatever <see cref="Train"/> says, until one of them is unfrozen: it normalises with, and keeps, the
/// statistics it learnt (what PyTorch users get by overriding <c>train()</c>). Pass <c>freezeBatchNorm: false</c> to
/// freeze the parameters only.</para>
/// </remarks>
// ReplaceModule reads the fields of a module's own class and of its Module base classes: the annotation keeps those
// fields in every class derived from Module when the trimmer or Native AOT removes unused metadata.
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields)]
public abstract partial class Module
{
    private bool statisticsFrozen;

    /// <summary>
    /// Freezes the parameters that <paramref name="patterns"/> select (all of them when none are given): sets their
    /// <see cref="Tensor.RequiresGrad"/> false and drops their gradients, so that no optimiser step changes them. Batch-norm
    /// layers whose parameters are all frozen stay in eval mode (see the remarks of the class).
    /// </summary>
    /// <exception cref="ArgumentException">A pattern selects no parameter (the message names it).</exception>
    public Module Freeze(params string[] patterns) => Freeze(patterns, freezeBatchNorm: true);

    /// <summary>
    /// <see cref="Freeze(string[])"/> with the choice of keeping batch-norm layers whose parameters are all frozen in eval
    /// mode (<paramref name="freezeBatchNorm"/> true) or letting them follow <see cref="Train"/> (false).
    /// </summary>
    public Module Freeze(IEnumerable<string> patterns, bool freezeBatchNorm)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        SetFrozen(Selector(patterns, nameof(Freeze)), frozen: true, freezeBatchNorm);
        return this;
    }

    /// <summary>Freezes the parameters whose dotted name satisfies <paramref name="predicate"/> (see <see cref="Freeze(string[])"/>).</summary>
    /// <exception cref="ArgumentException">The predicate selects no parameter.</exception>
    public Module Freeze(Func<string, bool> predicate, bool freezeBatchNorm = true)
    {
        SetFrozen(PredicateSelector(predicate, nameof(Freeze)), frozen: true, freezeBatchNorm);
        return this;
    }

    /// <summary>
    /// Makes the parameters that <paramref name="patterns"/> select (all when none are given) trainable again; a
    /// batch-norm layer with a trainable parameter follows <see cref="Train"/> again.
    /// </summary>
    /// <exception cref="ArgumentException">A pattern selects no parameter (the message names it).</exception>
    public Module Unfreeze(params string[] patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        SetFrozen(Selector(patterns, nameof(Unfreeze)), frozen: false, freezeBatchNorm: false);
        return this;
    }

    /// <summary>Makes the parameters whose dotted name satisfies <paramref name="predicate"/> trainable again.</summary>
    /// <exception cref="ArgumentException">The predicate selects no parameter.</exception>
    public Module Unfreeze(Func<string, bool> predicate)
    {
        SetFrozen(PredicateSelector(predicate, nameof(Unfreeze)), frozen: false, freezeBatchNorm: false);
        return this;
    }

    /// <summary>The dotted names of the frozen parameters (<see cref="Tensor.RequiresGrad"/> false), in registration order.</summary>
    public IReadOnlyList<string> FrozenParameterNames() => [.. NamedParameters().Where(p => !p.Parameter.RequiresGrad).Select(p => p.Name)];

    /// <summary>The parameters an optimiser should update: those not frozen, in registration order.</summary>
    public IEnumerable<Tensor> TrainableParameters() => Parameters().Where(p => p.RequiresGrad);

    /// <summary>Whether <paramref name="name"/> (a module's or a parameter's dotted name) is selected by the glob <paramref name="pattern"/> (see the remarks of the class).</summary>
    public static bool PatternSelects(string pattern, string name)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(name);
        if (Glob(pattern, name)) return true;
        for (int dot = name.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = name.IndexOf('.', dot + 1))
            if (Glob(pattern, name[..dot])) return true;
        return false;
    }

    /// <summary>Whether the glob <paramref name="pattern"/> (<c>*</c> any run, <c>?</c> one character) matches all of <paramref name="text"/>.</summary>
    private static bool Glob(string pattern, string text)
    {
        // Iterative matching with backtracking to the last star: linear in practice, no regex to escape.
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t])) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; resume = t; }
            else if (star >= 0) { p = star + 1; t = ++resume; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>Which parameters and parameter-less modules a call selects (by their dotted names).</summary>
    private sealed record Selection(Func<string, bool> Parameter, Func<string, bool> Module, Action<IReadOnlyList<string>> CheckUsed);

    private Selection Selector(IEnumerable<string> patterns, string op)
    {
        var list = patterns.ToList();
        foreach (var p in list)
            if (string.IsNullOrEmpty(p)) throw new ArgumentException($"{op}: a pattern is empty; give a parameter or module name or a glob such as 'layer4.*'.", nameof(patterns));
        if (list.Count == 0) return new Selection(_ => true, _ => true, _ => { });
        return new Selection(n => list.Any(p => PatternSelects(p, n)), n => list.Any(p => PatternSelects(p, n)), names =>
        {
            foreach (var p in list)
                if (!names.Any(n => PatternSelects(p, n)))
                    throw new ArgumentException($"{op}: the pattern '{p}' selects no parameter of {GetType().Name} (its modules: {TopLevelNames()}).", nameof(patterns));
        });
    }

    private Selection PredicateSelector(Func<string, bool> predicate, string op)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return new Selection(predicate, predicate, names =>
        {
            if (!names.Any(predicate)) throw new ArgumentException($"{op}: the predicate selects no parameter of {GetType().Name} (its modules: {TopLevelNames()}).", nameof(predicate));
        });
    }

    private string TopLevelNames()
    {
        var names = NamedChildren().Select(c => c.Name).Concat(parameters.Where(p => p.Value is not null).Select(p => p.Key)).ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    private void SetFrozen(Selection select, bool frozen, bool freezeBatchNorm)
    {
        var all = NamedParameters().ToList();
        select.CheckUsed([.. all.Select(p => p.Name)]);
        var chosen = new HashSet<Tensor>(all.Where(p => select.Parameter(p.Name)).Select(p => p.Parameter), ReferenceEqualityComparer.Instance);
        foreach (var p in chosen)
        {
            p.RequiresGrad = !frozen;
            // A stale gradient would still be applied by the optimiser's next step.
            if (frozen) p.Grad = null;
        }
        foreach (var (name, m) in NamedModules())
        {
            if (m is not BatchNormBase { TrackRunningStats: true }) continue;
            var own = m.parameters.Where(p => p.Value is not null).Select(p => p.Value!).ToList();
            bool touched = own.Count > 0 ? own.Any(chosen.Contains) : select.Module(name);
            if (!touched) continue;
            if (frozen) m.statisticsFrozen |= freezeBatchNorm && own.All(p => !p.RequiresGrad);
            else m.statisticsFrozen = false;
        }
    }

    /// <summary>
    /// The submodule at the dotted <paramref name="name"/> (<c>"layer1.0.conv1"</c>; <c>""</c> is this module), as
    /// PyTorch's <c>get_submodule</c>.
    /// </summary>
    /// <exception cref="ArgumentException">No such submodule (the message names the missing part and what is there).</exception>
    public Module GetSubmodule(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0) return this;
        Module m = this;
        string path = "";
        foreach (var part in name.Split('.'))
        {
            var next = m.children.FirstOrDefault(c => c.Key == part).Value;
            if (next is null)
            {
                string where = path.Length == 0 ? GetType().Name : $"'{path}' ({m.GetType().Name})";
                string has = m.children.Count == 0 ? "no submodules" : "submodules " + string.Join(", ", m.children.Select(c => c.Key));
                throw new ArgumentException($"'{name}': {where} has no submodule '{part}' (it has {has}).", nameof(name));
            }
            path = path.Length == 0 ? part : path + "." + part;
            m = next;
        }
        return m;
    }

    /// <summary>
    /// Puts <paramref name="replacement"/> in place of the submodule at the dotted <paramref name="name"/> (e.g. a new
    /// classifier head: <c>model.ReplaceModule("fc", new Linear(512, 5))</c>) and returns the module it replaced. The
    /// state dict then holds the new module's keys and shapes at the old one's place, in the same order. Every field of
    /// the owner that held the old module (a property's backing field, an element of a list or array, e.g. a
    /// <see cref="Sequential"/>'s layers) is pointed at the new one, so the owner's forward pass calls it. The new module
    /// takes the owner's training mode.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// No such submodule; the replacement takes or returns other types than the old module; a field of the owner cannot
    /// hold the replacement (e.g. a property typed <c>Linear</c> given a <c>Sequential</c>); or the replacement contains
    /// the owner. Nothing is changed then.
    /// </exception>
    public Module ReplaceModule(string name, Module replacement)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(replacement);
        if (name.Length == 0) throw new ArgumentException("ReplaceModule: name the submodule to replace (a module cannot replace itself).", nameof(name));
        int dot = name.LastIndexOf('.');
        var owner = GetSubmodule(dot < 0 ? "" : name[..dot]);
        string key = name[(dot + 1)..];
        int index = owner.children.FindIndex(c => c.Key == key);
        if (index < 0) GetSubmodule(name);   // throws the message naming what is there
        var old = owner.children[index].Value;
        if (ReferenceEquals(old, replacement)) return old;
        if (replacement.NamedModules().Any(m => ReferenceEquals(m.Module, owner)))
            throw new ArgumentException($"ReplaceModule('{name}'): the replacement contains the module it would be placed in.", nameof(replacement));
        if (Signature(old.GetType()) is { } signature && !signature.IsInstanceOfType(replacement))
            throw new ArgumentException($"ReplaceModule('{name}'): the module there is a {ShortName(signature)} ({old.GetType().Name}); a {replacement.GetType().Name} takes or returns other types.", nameof(replacement));
        var updates = new List<Action>();
        foreach (var field in InstanceFields(owner)) CollectUpdates(owner, field, old, replacement, name, updates);
        foreach (var update in updates) update();
        owner.children[index] = new(key, replacement);
        replacement.Train(owner.training);
        return old;
    }

    /// <summary>The instance fields declared by the module's class and its base classes up to <see cref="Module"/>.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Every class walked derives from Module, whose DynamicallyAccessedMembers annotation keeps its fields.")]
    private static List<FieldInfo> InstanceFields(Module owner)
    {
        var fields = new List<FieldInfo>();
        for (var type = owner.GetType(); type is not null && type != typeof(Module); type = type.BaseType)
            fields.AddRange(type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly));
        return fields;
    }

    /// <summary>The updates that point <paramref name="field"/> of <paramref name="owner"/> (or its elements) from <paramref name="old"/> to <paramref name="replacement"/>, checked first.</summary>
    private static void CollectUpdates(Module owner, FieldInfo field, Module old, Module replacement, string name, List<Action> updates)
    {
        var value = field.GetValue(owner);
        string fieldName = field.Name.StartsWith('<') ? field.Name[1..field.Name.IndexOf('>', StringComparison.Ordinal)] : field.Name;
        if (ReferenceEquals(value, old))
        {
            if (!field.FieldType.IsInstanceOfType(replacement))
                throw new ArgumentException($"ReplaceModule('{name}'): {owner.GetType().Name} keeps the module in {fieldName}, typed {field.FieldType.Name}, which cannot hold a {replacement.GetType().Name}; give a {field.FieldType.Name}.", nameof(replacement));
            updates.Add(() => field.SetValue(owner, replacement));
        }
        else if (value is IList list)
        {
            var elementType = ListElementType(field.FieldType);
            for (int i = 0; i < list.Count; i++)
            {
                if (!ReferenceEquals(list[i], old)) continue;
                if (list.IsReadOnly || (elementType is not null && !elementType.IsInstanceOfType(replacement)))
                    throw new ArgumentException($"ReplaceModule('{name}'): {owner.GetType().Name} keeps the module in {fieldName}, {(list.IsReadOnly ? "a read-only list" : $"a list of {elementType!.Name}")}, which cannot take a {replacement.GetType().Name}.", nameof(replacement));
                int at = i;
                updates.Add(() => list[at] = replacement);
            }
        }
    }

    /// <summary>The element type of an array or <c>IList&lt;T&gt;</c> field type, or null for a plain <see cref="IList"/>.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "The field holds a list object, so its type is constructed, and the interface list of a constructed type is kept: casts to its interfaces need it.")]
    private static Type? ListElementType(Type fieldType) => fieldType.IsArray ? fieldType.GetElementType()
        : fieldType.GetInterfaces().Append(fieldType).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IList<>))?.GetGenericArguments()[0];

    /// <summary>The closest <c>Module&lt;TIn, TOut&gt;</c> base of <paramref name="type"/>, or null.</summary>
    private static Type? Signature(Type type)
    {
        for (var t = type; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Module<,>)) return t;
        return null;
    }

    private static string ShortName(Type t) => t.IsGenericType
        ? t.Name[..t.Name.IndexOf('`', StringComparison.Ordinal)] + "<" + string.Join(", ", t.GetGenericArguments().Select(ShortName)) + ">"
        : t.Name;
}
