using Axon.Nn;

namespace Axon.Optim;

/// <summary>
/// Builds <see cref="ParamGroup"/>s from parameter names, for training parts of a model at different rates (fine-tuning a
/// pretrained body slowly under a fast new head):
/// <code>
/// var groups = ParamGroups.ByPattern(model, ("fc", 0.01), ("*", 0.001));
/// var sgd = new Sgd(groups, momentum: 0.9);
/// </code>
/// Patterns are those of <see cref="Module.Freeze(string[])"/>: globs over the dotted names (<c>*</c> any run of
/// characters, dots included; <c>?</c> one character) that select a parameter by its own name or the name of a module
/// holding it.
/// </summary>
public static class ParamGroups
{
    /// <summary>
    /// One group per rule, in order: each trainable parameter of <paramref name="model"/> joins the group of the first
    /// rule that selects it; frozen parameters (<see cref="Tensor.RequiresGrad"/> false) join none. A rule's null rate
    /// leaves the optimiser's default. A group may end up empty (its rule's parameters were all taken by earlier rules or
    /// are frozen); optimisers accept that as long as some group is not.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// No rules; a pattern that selects no parameter of the model (named in the message); a negative or non-finite rate;
    /// or trainable parameters that no rule selects (named; end with a <c>("*", lr)</c> rule to catch the rest).
    /// </exception>
    public static IReadOnlyList<ParamGroup> ByPattern(Module model, params (string Pattern, double? Lr)[] rules)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Length == 0) throw new ArgumentException("ParamGroups.ByPattern: give at least one (pattern, rate) rule.", nameof(rules));
        var named = model.NamedParameters().ToList();
        var members = rules.Select(_ => new List<Tensor>()).ToArray();
        foreach (var (pattern, lr) in rules)
        {
            if (string.IsNullOrEmpty(pattern)) throw new ArgumentException("ParamGroups.ByPattern: a pattern is empty.", nameof(rules));
            if (lr is double r && !(r >= 0 && double.IsFinite(r)))
                throw new ArgumentOutOfRangeException(nameof(rules), r, $"ParamGroups.ByPattern: the rate of '{pattern}' must be finite and non-negative.");
            if (!named.Any(p => Module.PatternSelects(pattern, p.Name)))
                throw new ArgumentException($"ParamGroups.ByPattern: the pattern '{pattern}' selects no parameter of {model.GetType().Name} (its modules: {string.Join(", ", model.NamedChildren().Select(c => c.Name))}).", nameof(rules));
        }
        var unmatched = new List<string>();
        foreach (var (name, p) in named)
        {
            if (!p.RequiresGrad) continue;
            int rule = Array.FindIndex(rules, r => Module.PatternSelects(r.Pattern, name));
            if (rule < 0) unmatched.Add(name);
            else members[rule].Add(p);
        }
        if (unmatched.Count > 0)
            throw new ArgumentException($"ParamGroups.ByPattern: no rule selects the trainable parameters {string.Join(", ", unmatched.Take(8))}{(unmatched.Count > 8 ? $" and {unmatched.Count - 8} more" : "")}; end with a (\"*\", lr) rule to catch the rest, or freeze them.", nameof(rules));
        return [.. rules.Select((r, i) => new ParamGroup(members[i], lr: r.Lr))];
    }
}
