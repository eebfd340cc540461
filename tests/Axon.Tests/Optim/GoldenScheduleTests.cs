using System.Text.Json;
using Axon.Optim;

namespace Axon.Tests.Optim;

/// <summary>
/// Learning-rate (and momentum) sequences recorded from PyTorch 1.13 by tests/Fixtures/make_schedule_fixtures.py
/// (tests/Fixtures/lr_schedules.json): every case must match to 1e-12 relative. The schedulers use PyTorch's recursive
/// formulas in the same order of operations; on Linux x64 they agree bit for bit (the margin allows for another libm's cos).
/// </summary>
public class GoldenScheduleTests
{
    private const double Rel = 1e-12;

    private static readonly Lazy<JsonDocument> Fixture = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "lr_schedules.json"))));

    private static JsonElement Cases => Fixture.Value.RootElement.GetProperty("cases");

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases.EnumerateObject()) data.Add(c.Name);
        return data;
    }

    private static Optimizer MakeOptimizer(JsonElement c)
    {
        var groups = c.GetProperty("groups").EnumerateArray().Select(g => new ParamGroup([Tensor.Zeros([1]).RequiresGrad_()], lr: g.GetDouble())).ToList();
        double lr0 = groups[0].Lr;
        return c.GetProperty("optimizer").GetString() == "adam" ? new Adam(groups, lr: lr0) : new Sgd(groups, lr: lr0);
    }

    private static int[] Ints(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt32())];

    internal static LrScheduler Build(Optimizer opt, string kind, JsonElement c)
    {
        double D(string k) => c.GetProperty(k).GetDouble();
        int I(string k) => c.GetProperty(k).GetInt32();
        string S(string k) => c.GetProperty(k).GetString()!;
        List<LrScheduler> Children() => [.. c.GetProperty("schedulers").EnumerateArray().Select(s => Build(opt, s[0].GetString()!, s[1]))];
        return kind switch
        {
            "StepLR" => new StepLR(opt, I("stepSize"), D("gamma")),
            "MultiStepLR" => new MultiStepLR(opt, Ints(c.GetProperty("milestones")), D("gamma")),
            "ExponentialLR" => new ExponentialLR(opt, D("gamma")),
            "CosineAnnealingLR" => new CosineAnnealingLR(opt, I("tMax"), D("etaMin")),
            "CosineAnnealingWarmRestarts" => new CosineAnnealingWarmRestarts(opt, I("t0"), I("tMult"), D("etaMin")),
            "LinearLR" => new LinearLR(opt, D("startFactor"), D("endFactor"), I("totalIters")),
            "OneCycleLR" => new OneCycleLR(opt,
                c.GetProperty("maxLr").ValueKind == JsonValueKind.Array ? [.. c.GetProperty("maxLr").EnumerateArray().Select(x => x.GetDouble())] : [.. Enumerable.Repeat(D("maxLr"), opt.ParamGroups.Count)],
                I("totalSteps"), D("pctStart"), S("anneal") == "cos" ? AnnealStrategy.Cos : AnnealStrategy.Linear, c.GetProperty("cycleMomentum").GetBoolean(),
                D("baseMomentum"), D("maxMomentum"), D("divFactor"), D("finalDivFactor"), c.GetProperty("threePhase").GetBoolean()),
            "ReduceLROnPlateau" => new ReduceLROnPlateau(opt, S("mode") == "min" ? MetricMode.Min : MetricMode.Max, D("factor"), I("patience"), D("threshold"),
                S("thresholdMode") == "rel" ? ThresholdMode.Rel : ThresholdMode.Abs, I("cooldown"), D("minLr"), D("eps")),
            "SequentialLR" => new SequentialLR(opt, Children(), Ints(c.GetProperty("milestones"))),
            "ChainedScheduler" => new ChainedScheduler(Children()),
            _ => throw new ArgumentException($"Unknown scheduler kind {kind}", nameof(kind)),
        };
    }

    private static void AssertClose(double expected, double actual, string what)
    {
        double tol = Rel * Math.Max(Math.Abs(expected), Math.Abs(actual)) + 1e-18;
        Assert.True(Math.Abs(expected - actual) <= tol, $"{what}: PyTorch {expected:R}, Axon {actual:R} (difference {Math.Abs(expected - actual):E3})");
    }

    private static double MomentumOf(ParamGroup g) => g.Has("momentum") ? g["momentum"] : g["beta1"];

    private static void Check(JsonElement c, Optimizer opt, int t, string name)
    {
        var lrs = c.GetProperty("lrs")[t];
        for (int g = 0; g < opt.ParamGroups.Count; g++)
            AssertClose(lrs[g].GetDouble(), opt.ParamGroups[g].Lr, $"{name}: lr of group {g} at t = {t}");
        if (c.TryGetProperty("momentum", out var moms))
            for (int g = 0; g < opt.ParamGroups.Count; g++)
                AssertClose(moms[t][g].GetDouble(), MomentumOf(opt.ParamGroups[g]), $"{name}: momentum of group {g} at t = {t}");
    }

    // Runs a case's steps from t = from (the scheduler already at t = from) to the end, checking each rate.
    private static void Run(JsonElement c, Optimizer opt, LrScheduler s, int from, string name)
    {
        int n = c.GetProperty("lrs").GetArrayLength() - 1;
        for (int t = from + 1; t <= n; t++)
        {
            if (c.TryGetProperty("metrics", out var metrics)) ((ReduceLROnPlateau)s).Step(metrics[t - 1].GetDouble());
            else if (c.TryGetProperty("epochs", out var epochs)) ((CosineAnnealingWarmRestarts)s).Step(epochs[t - 1].GetDouble());
            else s.Step();
            Check(c, opt, t, name);
            for (int g = 0; g < opt.ParamGroups.Count; g++) Assert.Equal(opt.ParamGroups[g].Lr, s.LastLr[g]);
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.GetProperty(name);
        var opt = MakeOptimizer(c);
        var s = Build(opt, c.GetProperty("kind").GetString()!, c.GetProperty("config"));
        Check(c, opt, 0, name);
        Run(c, opt, s, 0, name);
    }

    /// <summary>Saving half-way and restoring into fresh objects (optimiser state dict + scheduler state dict) continues the same sequence.</summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ResumesFromStateDictsHalfWay(string name)
    {
        var c = Cases.GetProperty(name);
        var kind = c.GetProperty("kind").GetString()!;
        var opt = MakeOptimizer(c);
        var s = Build(opt, kind, c.GetProperty("config"));
        int n = c.GetProperty("lrs").GetArrayLength() - 1, half = n / 2;
        // Walk the first half on the original.
        for (int t = 1; t <= half; t++)
        {
            if (c.TryGetProperty("metrics", out var metrics)) ((ReduceLROnPlateau)s).Step(metrics[t - 1].GetDouble());
            else if (c.TryGetProperty("epochs", out var epochs)) ((CosineAnnealingWarmRestarts)s).Step(epochs[t - 1].GetDouble());
            else s.Step();
        }
        var optState = opt.StateDict();
        var schedState = s.StateDict();

        var opt2 = MakeOptimizer(c);
        var s2 = Build(opt2, kind, c.GetProperty("config"));
        opt2.LoadStateDict(optState);
        s2.LoadStateDict(schedState);
        Assert.Equal(s.StateDict(), s2.StateDict());
        Check(c, opt2, half, name);
        Run(c, opt2, s2, half, name);
    }
}
