using Axon.Nn;

namespace Axon.Distributed;

/// <summary>
/// Synchronised batch norm (torch.nn.SyncBatchNorm): while training, every batch norm of a model normalises with the
/// statistics of the global batch — all ranks' samples — instead of its own rank's, through two all-reduces per layer in
/// the forward pass and two in the backward. It costs latency per layer, and matters when the batch per rank is small;
/// without it, DistributedDataParallel keeps PyTorch's default: local statistics, rank 0's running statistics copied to
/// every rank after each step. Converting changes no parameter and no state-dict key, so checkpoints move freely between
/// the two.
/// <code>
/// SyncBatchNorm.Convert(model, group);                 // before wrapping it
/// using var ddp = new DistributedDataParallel(model, group);
/// </code>
/// </summary>
public static class SyncBatchNorm
{
    /// <summary>Makes every batch norm in <paramref name="module"/> synchronise its statistics over <paramref name="group"/>; returns how many.</summary>
    public static int Convert(Module module, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(group);
        var sum = new GroupSum(group);
        int n = 0;
        foreach (var (_, m) in module.NamedModules())
            if (m is BatchNormBase bn)
            {
                bn.CrossReplica = sum;
                n++;
            }
        return n;
    }

    /// <summary>Returns every batch norm in <paramref name="module"/> to local statistics; returns how many were synchronised.</summary>
    public static int Revert(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        int n = 0;
        foreach (var (_, m) in module.NamedModules())
            if (m is BatchNormBase { CrossReplica: not null } bn)
            {
                bn.CrossReplica = null;
                n++;
            }
        return n;
    }

    private sealed class GroupSum(ProcessGroup group) : ICrossReplicaSum
    {
        public Tensor Sum(Tensor local) => new SumOverRanks(group).Apply(local);
    }

    /// <summary>The all-reduce as an autograd function: the sum over the ranks forward, and the sum of the ranks' gradients backward.</summary>
    private sealed class SumOverRanks(ProcessGroup group) : Function
    {
        public override string Name => "AllReduceSum";

        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs) => [Reduce(inputs[0])];

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) => [Reduce(gradOutputs[0])];

        private Tensor Reduce(Tensor x)
        {
            var result = Tensor.ZerosLike(x);
            switch (x.DType)
            {
                case DType.Float32:
                    {
                        var host = x.ToFloatArray();
                        group.AllReduce(host);
                        result.CopyFromHost<float>(host);
                        break;
                    }
                case DType.Float64:
                    {
                        var host = x.ToDoubleArray();
                        group.AllReduce(host);
                        result.CopyFromHost<double>(host);
                        break;
                    }
                default: throw new NotSupportedException($"SyncBatchNorm: statistics of dtype {x.DType.TorchName()} cannot be synchronised.");
            }
            return result;
        }
    }
}
