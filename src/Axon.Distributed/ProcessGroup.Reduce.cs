using System.Numerics;
using System.Numerics.Tensors;

namespace Axon.Distributed;

// The deterministic all-reduce of the class summary: all-to-all, a sum in rank order, all-gather.
public abstract partial class ProcessGroup
{
    private void AllReduceFixedOrder<T>(T[] buffer, int offset, int count, ReduceOp op) where T : unmanaged, INumberBase<T>
    {
        int n = Size;
        if (count == 0 || n == 1) return;  // one rank: the sum is the value, and the average divides by 1
        int chunk = (int)(((long)count + n - 1) / n);
        long padded = (long)chunk * n;
        if (padded > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(count), count, "AllReduce: the buffer is too large to split into equal chunks; reduce it in parts.");
        // [rank][chunk] in both arrays: this rank's values to send, then every rank's values for the chunk this rank owns.
        var send = Scratch<T>(0, (int)padded);
        var received = Scratch<T>(1, (int)padded);
        var owned = Scratch<T>(2, chunk);
        Array.Copy(buffer, offset, send, 0, count);
        Array.Clear(send, count, (int)padded - count);
        AllToAllCore(send, received, chunk);

        // Rank 0's values, then rank 1's added, and so on: element-wise, so each element sees the same order on any CPU.
        var sum = owned.AsSpan(0, chunk);
        received.AsSpan(0, chunk).CopyTo(sum);
        for (int r = 1; r < n; r++) TensorPrimitives.Add(sum, received.AsSpan(r * chunk, chunk), sum);
        if (op == ReduceOp.Average) TensorPrimitives.Divide(sum, T.CreateChecked(n), sum);

        AllGatherCore(owned, 0, chunk, send);
        Array.Copy(send, 0, buffer, offset, count);
    }
}
