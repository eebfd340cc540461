using Axon.Backends;

namespace Axon;

// The embedding lookup: rows of a table picked by int64 indices, with a backward that touches only those rows.
public sealed partial class Tensor
{
    /// <summary>
    /// Rows of <paramref name="weight"/> [V, D] picked by the int64 <paramref name="indices"/> [*] -> [*, D]
    /// (torch.nn.functional.embedding). Every index must lie in [0, V). The row <paramref name="paddingIdx"/> (negative:
    /// counted from the end) is looked up as it is but gets no gradient. With <paramref name="maxNorm"/>, each distinct
    /// looked-up row whose <paramref name="normType"/>-norm exceeds it is first rescaled in place in the table, unrecorded,
    /// by maxNorm / (norm + 1e-7) (torch.embedding_renorm_).
    /// Backward: the output gradient's rows added into the touched rows of the table's gradient, nothing else written.
    /// When the table is a leaf whose <see cref="Grad"/> exists, the rows are added straight into it (no [V, D] temporary).
    /// </summary>
    /// <exception cref="ArgumentException">The indices are not int64, or the weight is not 2-D.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index, or <paramref name="paddingIdx"/>, is outside the table.</exception>
    public static Tensor Embedding(Tensor indices, Tensor weight, int? paddingIdx = null, double? maxNorm = null, double normType = 2)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(weight);
        if (indices.DType != DType.Int64)
            throw new ArgumentException($"Embedding: expected int64 indices (torch.long), got {indices.DType.TorchName()}; convert them with To(DType.Int64).", nameof(indices));
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: weight must be 2-D [numEmbeddings, embeddingDim], got {ShapeUtil.Format(weight.shape)}.", nameof(weight));
        Compute.SameDevice("Embedding", indices, weight);
        int v = weight.shape[0], dim = weight.shape[1];
        if (paddingIdx is int q && (q >= v || q < -v))
            throw new ArgumentOutOfRangeException(nameof(paddingIdx), paddingIdx, $"Embedding: paddingIdx must be within [-{v}, {v}) for a table of {v} rows.");
        long? pad = paddingIdx is int p ? (p < 0 ? p + v : p) : null;
        if (maxNorm is double mn && double.IsNaN(mn)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "Embedding: maxNorm is NaN.");
        if (maxNorm is not null && !(normType > 0)) throw new ArgumentOutOfRangeException(nameof(normType), normType, "Embedding: normType must be positive (or +infinity).");

        var flat = indices.ReshapeData([-1]);
        Compute.CheckIndexRange(flat, v, i => $"Embedding: index {i} is out of range for the table of {v} embeddings (valid indices are 0 to {v - 1}).");
        if (maxNorm is double m) Compute.EmbeddingRenorm(weight, flat, m, normType);
        var output = Compute.IndexSelect(weight, 0, flat).ReshapeData([.. indices.shape, dim]);
        var attributes = new OpAttributes(("padding_idx", (int?)pad), ("max_norm", maxNorm), ("norm_type", normType));
        return output.Record("Embedding", [indices, weight], attributes, g => [null, EmbeddingBackward(g, flat, weight, pad)]);
    }

    // The weight's gradient: only the rows named by the index, the padding row left out. Returns null when the rows went
    // straight into the buffer the engine handed out (the leaf's existing Grad, or a fresh one cleared first).
    private static Tensor? EmbeddingBackward(Tensor g, Tensor flat, Tensor weight, long? pad)
    {
        if (!weight.requiresGrad) return null;
        int n = flat.NumEl, dim = weight.shape[1];
        if (Recording(g, weight))
        {
            // Recorded (createGraph): the same sum as ops, so the gradient differentiates again.
            var rows = g.Reshape(n, dim);
            if (pad is long p)
            {
                var keep = flat.Ne(p).Unsqueeze(1);
                rows = Where(keep, rows, ZerosLike(rows));
            }
            return ZerosLike(weight).IndexAdd(0, flat, rows);
        }
        var g2 = g.ReshapeData([n, dim]);
        var dest = Engine.AccumulationBuffer(weight, out double beta, g2);
        if (dest is not null)
        {
            Compute.EmbeddingBackward(dest, flat, g2, pad, zero: beta == 0);
            return null;
        }
        var gw = Tensor.Empty(weight.GetShape(), weight.DType, weight.Device);
        Compute.EmbeddingBackward(gw, flat, g2, pad, zero: true);
        return gw;
    }
}
