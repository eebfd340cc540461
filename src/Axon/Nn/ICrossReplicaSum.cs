namespace Axon.Nn;

/// <summary>
/// Adds a tensor over the replicas of a data-parallel run (each process's copy of the model), differentiably: what a
/// synchronised batch norm needs to compute its statistics over the global batch. The result is the element-wise sum of
/// every replica's <c>local</c>, the same on all of them, and its backward is the same sum of the replicas' gradients
/// (every replica's loss depends on every replica's input through the shared statistics). Implemented by the
/// distributed assembly (Axon.Distributed's <c>SyncBatchNorm</c>); the core only calls it.
/// </summary>
public interface ICrossReplicaSum
{
    /// <summary>The sum of <paramref name="local"/> over the replicas (all replicas call it in the same order, with the same shape); recorded for autograd.</summary>
    Tensor Sum(Tensor local);
}
