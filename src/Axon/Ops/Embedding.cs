namespace Axon;

// The embedding lookup: rows of a table picked by int64 indices.
public sealed partial class Tensor
{
    /// <summary>
    /// Rows of <paramref name="weight"/> [V, D] picked by the int64 <paramref name="indices"/> [*] -> [*, D]
    /// (torch.nn.functional.embedding). The row <paramref name="paddingIdx"/> gets no gradient; with
    /// <paramref name="maxNorm"/>, looked-up rows whose norm exceeds it are first rescaled in place in the table.
    /// Backward: the output gradient's rows added into the touched rows of the table's gradient.
    /// </summary>
    public static Tensor Embedding(Tensor indices, Tensor weight, int? paddingIdx = null, double? maxNorm = null, double normType = 2)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(weight);
        if (indices.DType != DType.Int64) throw new ArgumentException($"Embedding: expected int64 indices, got {indices.DType.TorchName()}.", nameof(indices));
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: weight must be 2-D [numEmbeddings, embeddingDim], got {ShapeUtil.Format(weight.shape)}.", nameof(weight));
        var flat = indices.Reshape(-1);
        if (maxNorm is double m) using (GradMode.NoGrad()) RenormRows(weight, flat, m, normType);
        var rows = weight.IndexSelect(0, flat);
        if (paddingIdx is int p)
        {
            var keep = flat.Ne(p).Unsqueeze(1);
            rows = Where(keep, rows, ZerosLike(rows)) + Where(keep, ZerosLike(rows), rows.Detach());
        }
        return rows.Reshape([.. indices.shape, weight.shape[1]]);
    }

    private static void RenormRows(Tensor weight, Tensor flat, double maxNorm, double normType)
    {
        var picked = weight.IndexSelect(0, flat).Detach();
        var norms = picked.Abs().Pow(normType).Sum(1, keepDim: true).Pow(1 / normType);
        var scale = Where(norms.Gt(maxNorm), maxNorm / (norms + 1e-7), OnesLike(norms));
        var delta = picked * scale - picked;
        // Rows picked twice get one correction each: divide by the count so the table ends at the rescaled row.
        var counts = ZerosLike(weight.Select(1, 0)).IndexAdd(0, flat, OnesLike(flat.To(weight.DType)));
        var perRow = counts.IndexSelect(0, flat).Unsqueeze(1);
        weight.CopyFrom(weight.Detach().IndexAdd(0, flat, delta / perRow));
    }
}
