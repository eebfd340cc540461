namespace Axon.Cuda.Kernels;

/// <summary>How a kernel's grid is sized: its threads run grid-stride (or block-stride) loops, so any grid is correct.</summary>
internal enum LaunchKind
{
    /// <summary>One thread per element (or column) of the count: ceil(count / 256) blocks, at most <see cref="LaunchRule.MaxElementBlocks"/>.</summary>
    Elements,

    /// <summary>One 256-thread block per row of the count (a block reduction per row), at most <see cref="LaunchRule.MaxRowBlocks"/>.</summary>
    Rows,

    /// <summary>The first pass of a two-pass reduction: a fixed number of blocks that depends on the count only (deterministic).</summary>
    Partials,

    /// <summary>One block (the final pass of a two-pass reduction: the count is the number of partials).</summary>
    Single,
}

/// <summary>A kernel's launch rule: 256 threads per block, static shared memory only (0 dynamic bytes), a grid from the count.</summary>
internal readonly record struct LaunchRule(LaunchKind Kind)
{
    /// <summary>Threads per block of every kernel (AXON_BLOCK in axon_common.cuh; block reductions rely on it).</summary>
    public const int Threads = 256;

    /// <summary>The largest element grid: 1M threads, enough to fill any current GPU; larger counts loop.</summary>
    public const int MaxElementBlocks = 4096;

    /// <summary>The largest row grid (blocks loop over further rows).</summary>
    public const int MaxRowBlocks = 65535;

    /// <summary>The largest first-pass grid of a two-pass reduction (the final pass reduces these partials in one block).</summary>
    public const int MaxPartials = 256;

    /// <summary>The grid, block and dynamic shared bytes for <paramref name="count"/> (elements, rows or partials; 0 launches nothing).</summary>
    public (int Grid, int Block, int SharedBytes) For(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        long grid = Kind switch
        {
            LaunchKind.Elements => Math.Min((count + Threads - 1) / Threads, MaxElementBlocks),
            LaunchKind.Rows => Math.Min(count, MaxRowBlocks),
            LaunchKind.Partials => PartialCount(count),
            _ => 1,
        };
        return ((int)Math.Max(grid, 1), Threads, 0);
    }

    /// <summary>The first pass's block count for <paramref name="count"/> elements: about 8 elements per thread, 1 to <see cref="MaxPartials"/>.</summary>
    public static int PartialCount(long count) => (int)Math.Clamp((count + Threads * 8 - 1) / (Threads * 8), 1, MaxPartials);
}

/// <summary>One parameter of a kernel entry point: its C type and name, in declaration order.</summary>
internal readonly record struct KernelParameter(string CType, string Name);

/// <summary>
/// One <c>extern "C" __global__</c> entry point: its module, its name, its element type (f32, f64, i64, or a pair for
/// casts and where), its parameters and its launch rule; <paramref name="Count"/> names what the launch rule counts.
/// </summary>
internal sealed record KernelEntry(string Module, string Name, string DType, IReadOnlyList<KernelParameter> Parameters, LaunchRule Launch, string Count);

/// <summary>
/// Every kernel entry point of the modules in <see cref="KernelSources"/>, for the runtime to launch by name and for the
/// tests to check against the sources (a mismatch with a declaration fails to compile in the CPU emulation).
/// </summary>
internal static class KernelCatalog
{
    private static readonly (string Suffix, string CType)[] Floats = [("f32", "float"), ("f64", "double")];
    private static readonly (string Suffix, string CType)[] All = [("f32", "float"), ("f64", "double"), ("i64", "long long")];

    /// <summary>Every entry point, in module order.</summary>
    public static IReadOnlyList<KernelEntry> Entries { get; } = Build();

    private static readonly Dictionary<string, KernelEntry> ByName = Entries.ToDictionary(e => e.Name);

    /// <summary>The entry point named <paramref name="name"/> (e.g. axon_binary_f32).</summary>
    public static KernelEntry Get(string name) => ByName.TryGetValue(name, out var e)
        ? e
        : throw new KeyNotFoundException($"KernelCatalog: no CUDA kernel named '{name}'.");

    /// <summary>The suffix of a dtype in entry names: f32, f64 or i64.</summary>
    public static string Suffix(DType dtype) => dtype switch
    {
        DType.Float32 => "f32",
        DType.Float64 => "f64",
        DType.Int64 => "i64",
        _ => throw new NotSupportedException($"KernelCatalog: no CUDA kernels for dtype {dtype}."),
    };

    private static List<KernelEntry> Build()
    {
        var list = new List<KernelEntry>();
        void Add(string module, string op, (string Suffix, string CType)[] types, string parameters, LaunchKind launch, string count)
        {
            foreach (var (suffix, ctype) in types) list.Add(Entry(module, $"axon_{op}_{suffix}", suffix, parameters.Replace("TT", ctype), launch, count));
        }
        const string E = "g.numel";

        // elementwise.cu
        Add("elementwise", "copy", All, "AxonGeometry g, TT* dst, const TT* src", LaunchKind.Elements, E);
        foreach (var (fs, ft) in All)
            foreach (var (ts, tt) in All)
                if (fs != ts) list.Add(Entry("elementwise", $"axon_cast_{fs}_{ts}", $"{fs}_{ts}", $"AxonGeometry g, {tt}* dst, const {ft}* src", LaunchKind.Elements, E));
        Add("elementwise", "fill", All, "AxonGeometry g, TT* dst, double value", LaunchKind.Elements, E);
        Add("elementwise", "unary", All, "AxonGeometry g, int op, TT* dst, const TT* x", LaunchKind.Elements, E);
        Add("elementwise", "binary", All, "AxonGeometry g, int op, TT* dst, const TT* a, const TT* b", LaunchKind.Elements, E);
        foreach (var (cs, ct) in All)
            foreach (var (s, t) in All)
                list.Add(Entry("elementwise", $"axon_where_{cs}_{s}", $"{cs}_{s}", $"AxonGeometry g, {t}* dst, const {ct}* cond, const {t}* a, const {t}* b", LaunchKind.Elements, E));
        Add("elementwise", "clamp", All, "AxonGeometry g, TT* dst, const TT* x, double lo, double hi", LaunchKind.Elements, E);
        Add("elementwise", "leaky_relu", Floats, "AxonGeometry g, TT* dst, const TT* x, double slope", LaunchKind.Elements, E);
        Add("elementwise", "softplus", Floats, "AxonGeometry g, TT* dst, const TT* x, double beta, double threshold", LaunchKind.Elements, E);
        Add("elementwise", "activation_backward", Floats, "AxonGeometry g, int kind, TT* dst, const TT* saved, const TT* grad", LaunchKind.Elements, E);
        Add("elementwise", "leaky_relu_backward", Floats, "AxonGeometry g, TT* dst, const TT* x, const TT* grad, double slope", LaunchKind.Elements, E);
        Add("elementwise", "axpy", Floats, "AxonGeometry g, TT* dst, const TT* x, double alpha", LaunchKind.Elements, E);
        Add("elementwise", "scale", All, "AxonGeometry g, TT* x, double factor", LaunchKind.Elements, E);

        // reduce.cu
        const string Rows = "g.numel (output positions)";
        Add("reduce", "sum_cols", All, "AxonGeometry g, TT* dst, const TT* x, int n, int xStrideN", LaunchKind.Elements, Rows);
        Add("reduce", "sum_rows", All, "AxonGeometry g, TT* dst, const TT* x, int n, int xStrideN", LaunchKind.Rows, Rows);
        Add("reduce", "sum_all_partial", All, "AxonGeometry g, const TT* x, TT* partials", LaunchKind.Partials, E);
        Add("reduce", "sum_all_final", All, "const TT* partials, int count, TT* dst", LaunchKind.Single, "partials");
        Add("reduce", "extreme_cols", All, "AxonGeometry g, int max, TT* values, const TT* x, long long* indices, int n, int xStrideN", LaunchKind.Elements, Rows);
        Add("reduce", "extreme_rows", All, "AxonGeometry g, int max, TT* values, const TT* x, long long* indices, int n, int xStrideN", LaunchKind.Rows, Rows);
        Add("reduce", "softmax_cols", Floats, "AxonGeometry g, int log, TT* dst, const TT* x, int n, int xStrideN, int dstStrideN", LaunchKind.Elements, Rows);
        Add("reduce", "softmax_rows", Floats, "AxonGeometry g, int log, TT* dst, const TT* x, int n, int xStrideN, int dstStrideN", LaunchKind.Rows, Rows);
        Add("reduce", "norm_partial", All, "AxonGeometry g, const TT* x, int kind, double p, double* partials", LaunchKind.Partials, E);
        list.Add(Entry("reduce", "axon_norm_final", "f64", "const double* partials, int count, int kind, double p, double* result", LaunchKind.Single, "partials"));
        list.Add(Entry("reduce", "axon_index_range_partial_i64", "i64", "AxonGeometry g, const long long* x, long long* partials", LaunchKind.Partials, E));
        list.Add(Entry("reduce", "axon_index_range_final_i64", "i64", "const long long* partials, int count, long long* result", LaunchKind.Single, "partials"));

        // loss.cu
        Add("loss", "bce_logits", Floats, "AxonGeometry g, TT* loss, const TT* x, const TT* target", LaunchKind.Elements, E);
        Add("loss", "bce_logits_backward", Floats, "AxonGeometry g, TT* gx, const TT* x, const TT* target, const TT* grad", LaunchKind.Elements, E);
        Add("loss", "cross_entropy_rows", Floats, "const TT* x, int rows, int classes, int xs0, int xs1, const long long* target, int ts, const TT* weight, int ws, int reduction, TT* loss, TT* lse, TT* rowLoss, TT* rowWeight", LaunchKind.Rows, "rows");
        Add("loss", "cross_entropy_reduce", Floats, "const TT* rowLoss, const TT* rowWeight, int rows, int reduction, int weighted, TT* loss, double* weightSum", LaunchKind.Single, "rows");
        Add("loss", "cross_entropy_backward", Floats, "const TT* x, int rows, int classes, int xs0, int xs1, const TT* lse, const long long* target, int ts, const TT* weight, int ws, int reduction, double weightSum, const TT* grad, int gs, TT* gx", LaunchKind.Elements, "rows * classes");

        // index.cu
        Add("index", "index_select", All, "AxonGeometry g, TT* dst, const TT* x, const long long* index, int indexStride, int count, int inner, int xStrideDim", LaunchKind.Elements, E);
        Add("index", "index_add", All, "AxonGeometry g, TT* dst, const TT* src, const long long* index, int indexStride, int count, int dstStrideDim, int srcStrideDim", LaunchKind.Elements, "g.numel (columns)");
        Add("index", "embedding_backward", All, "TT* gradWeight, int gws0, int gws1, const long long* index, int indexStride, int count, const TT* grad, int gs0, int gs1, int dim, long long paddingIdx", LaunchKind.Elements, "dim (columns)");
        Add("index", "gather", All, "AxonGeometry g, TT* dst, const TT* x, const long long* index, int xStrideDim", LaunchKind.Elements, E);
        Add("index", "scatter_add", All, "AxonGeometry g, TT* dst, const TT* src, const long long* index, int count, int dstStrideDim, int srcStrideDim, int indexStrideDim", LaunchKind.Elements, "g.numel (columns)");

        // pool.cu
        Add("pool", "maxpool2d", Floats, "AxonPool2d p, const TT* x, TT* y, long long* argmax", LaunchKind.Elements, "outputs");
        Add("pool", "maxpool2d_backward", Floats, "AxonPool2d p, const TT* gy, const long long* argmax, TT* gx", LaunchKind.Elements, "inputs");
        Add("pool", "maxpool2d_gather", Floats, "AxonPool2d p, const TT* x, const long long* argmax, TT* y", LaunchKind.Elements, "outputs");
        Add("pool", "avgpool2d", Floats, "AxonPool2d p, int countIncludePad, int adaptive, const TT* x, TT* y", LaunchKind.Elements, "outputs");
        Add("pool", "avgpool2d_backward", Floats, "AxonPool2d p, int countIncludePad, int adaptive, const TT* gy, TT* gx", LaunchKind.Elements, "inputs");

        // batchnorm.cu
        Add("batchnorm", "batch_norm_stats", Floats, "AxonGeometry g, const TT* x, int n, int c, int s, int training, double momentum, double eps, TT* runningMean, TT* runningVar, double* saveMean, double* saveInvStd", LaunchKind.Rows, "channels");
        Add("batchnorm", "batch_norm_apply", Floats, "AxonGeometry g, TT* y, const TT* x, const TT* residual, int c, int s, const double* mean, const double* invStd, const TT* weight, const TT* bias, int relu", LaunchKind.Elements, E);
        Add("batchnorm", "batch_norm_backward_reduce", Floats, "AxonGeometry g, const TT* x, const TT* gy, int n, int c, int s, const double* mean, const double* invStd, TT* gw, TT* gb, double* sums", LaunchKind.Rows, "channels");
        Add("batchnorm", "batch_norm_backward_input", Floats, "AxonGeometry g, TT* gx, const TT* x, const TT* gy, int c, int s, double m, const double* mean, const double* invStd, const TT* weight, int training, const double* sums", LaunchKind.Elements, E);

        // recurrent.cu
        const string States = "batch * hidden";
        Add("recurrent", "lstm_cell", Floats, "int batch, int n, int active, TT* gates, const TT* hPrev, const TT* cPrev, TT* hNext, TT* cNext", LaunchKind.Elements, States);
        Add("recurrent", "lstm_cell_backward", Floats, "int batch, int n, int active, const TT* gates, const TT* cPrev, const TT* cNext, const TT* dh, TT* dc, TT* dGates", LaunchKind.Elements, States);
        Add("recurrent", "gru_cell", Floats, "int batch, int n, int active, TT* gx, const TT* gh, const TT* hPrev, TT* hNext", LaunchKind.Elements, States);
        Add("recurrent", "gru_cell_backward", Floats, "int batch, int n, int active, const TT* gates, const TT* gh, const TT* hPrev, TT* dh, TT* dgx, TT* dgh", LaunchKind.Elements, States);
        Add("recurrent", "rnn_cell", Floats, "int relu, int count, int activeCount, const TT* pre, const TT* hPrev, TT* hNext", LaunchKind.Elements, "count");
        Add("recurrent", "rnn_cell_backward", Floats, "int relu, int count, int activeCount, const TT* hNext, const TT* dh, TT* dPre", LaunchKind.Elements, "count");

        // optim.cu
        const string P = "count";
        Add("optim", "sgd", Floats, "int count, TT* p, const TT* grad, TT* buffer, TT weightDecay, TT momentum, TT oneMinusDampening, TT step, int first, int nesterov", LaunchKind.Elements, P);
        Add("optim", "adam", Floats, "int count, TT* p, const TT* grad, TT* m, TT* v, TT* maxSq, TT beta1, TT beta2, TT eps, TT l2, TT shrink, TT stepSize, TT bc2Sqrt, int maximize", LaunchKind.Elements, P);
        Add("optim", "adagrad", Floats, "int count, TT* p, const TT* grad, TT* sum, TT lr, TT weightDecay, TT eps, int maximize", LaunchKind.Elements, P);
        Add("optim", "rmsprop", Floats, "int count, TT* p, const TT* grad, TT* squareAverage, TT* buffer, TT* average, TT lr, TT alpha, TT eps, TT weightDecay, TT momentum, int maximize", LaunchKind.Elements, P);
        Add("optim", "adadelta", Floats, "int count, TT* p, const TT* grad, TT* squareAverage, TT* accumulatedDelta, TT lr, TT rho, TT eps, TT weightDecay, int maximize", LaunchKind.Elements, P);
        Add("optim", "asgd", Floats, "int count, TT* p, const TT* grad, TT* average, TT weightDecay, TT shrink, TT eta, TT mu, int maximize", LaunchKind.Elements, P);
        Add("optim", "averaged_sgd", Floats, "int count, TT* p, const TT* grad, TT* average, TT lr, TT weightDecay, TT mu, int copy", LaunchKind.Elements, P);
        return list;
    }

    /// <summary>An entry from a C parameter list "type name, type name, ...".</summary>
    private static KernelEntry Entry(string module, string name, string dtype, string parameters, LaunchKind launch, string count)
    {
        var ps = parameters.Split(',', StringSplitOptions.TrimEntries).Select(p =>
        {
            int cut = p.LastIndexOf(' ');
            return new KernelParameter(p[..cut].Trim(), p[(cut + 1)..]);
        }).ToList();
        return new KernelEntry(module, name, dtype, ps, new LaunchRule(launch), count);
    }
}
