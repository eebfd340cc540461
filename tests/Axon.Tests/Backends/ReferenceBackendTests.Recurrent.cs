using Axon.Backends;

namespace Axon.Tests.Backends;

// The recurrent cells' fused steps: random pre-activations and states of odd sizes, some rows past their sequence's end.
public partial class ReferenceBackendTests
{
    // (batch, hidden, active): a vector-length tail, a single row, all rows ended, all running.
    private static readonly (int Batch, int Hidden, int Active)[] CellShapes = [(5, 19, 3), (1, 8, 1), (3, 5, 0), (4, 33, 4)];

    /// <summary>
    /// The cells' transcendental functions (tanh, σ) differ in the last bits between the SIMD and the scalar forms, and
    /// h' = (1 − z) n + z h can cancel: errors are measured against each tensor's largest magnitude.
    /// </summary>
    private static double CellTol(DType dtype) => dtype == DType.Float32 ? 1e-6 : 1e-14;

    [Fact]
    [Covers(nameof(IBackend.LstmCell), nameof(IBackend.LstmCellBackward))]
    public void LstmCellForwardAndBackward()
    {
        foreach (var dtype in Floats)
            foreach (var (b, h, active) in CellShapes)
                Close($"LstmCell {dtype} {b}x{h} active {active}", CellTol(dtype), 0, d =>
                {
                    var gates = On(d, Randn([b, 4 * h], dtype, 70));
                    var (hPrev, cPrev) = (On(d, Randn([b, h], dtype, 71)), On(d, Randn([b, h], dtype, 72)));
                    var (hNext, cNext) = (Tensor.Zeros([b, h], dtype, d), Tensor.Zeros([b, h], dtype, d));
                    d.Backend.LstmCell(gates, hPrev, cPrev, hNext, cNext, active);
                    var (dh, dc) = (On(d, Randn([b, h], dtype, 73)), On(d, Randn([b, h], dtype, 74)));
                    var dGates = On(d, Randn([b, 4 * h], dtype, 75));
                    d.Backend.LstmCellBackward(gates, cPrev, cNext, dh, dc, dGates, active);
                    return [gates, hNext, cNext, dc, dGates];
                }, scale: 1);
    }

    [Fact]
    [Covers(nameof(IBackend.GruCell), nameof(IBackend.GruCellBackward))]
    public void GruCellForwardAndBackward()
    {
        foreach (var dtype in Floats)
            foreach (var (b, h, active) in CellShapes)
                Close($"GruCell {dtype} {b}x{h} active {active}", CellTol(dtype), 0, d =>
                {
                    var gx = On(d, Randn([b, 3 * h], dtype, 80));
                    var gh = On(d, Randn([b, 3 * h], dtype, 81));
                    var hPrev = On(d, Randn([b, h], dtype, 82));
                    var hNext = Tensor.Zeros([b, h], dtype, d);
                    d.Backend.GruCell(gx, gh, hPrev, hNext, active);
                    var dh = On(d, Randn([b, h], dtype, 83));
                    var (dgx, dgh) = (On(d, Randn([b, 3 * h], dtype, 84)), On(d, Randn([b, 3 * h], dtype, 85)));
                    d.Backend.GruCellBackward(gx, gh, hPrev, dh, dgx, dgh, active);
                    return [gx, hNext, dh, dgx, dgh];
                }, scale: 1);
    }

    [Fact]
    [Covers(nameof(IBackend.RnnCell), nameof(IBackend.RnnCellBackward))]
    public void RnnCellForwardAndBackward()
    {
        foreach (var dtype in Floats)
            foreach (bool relu in new[] { false, true })
                foreach (var (b, h, active) in CellShapes)
                    Close($"RnnCell {dtype} relu {relu} {b}x{h} active {active}", CellTol(dtype), 0, d =>
                    {
                        var pre = On(d, Randn([b, h], dtype, 90));
                        var hPrev = On(d, Randn([b, h], dtype, 91));
                        var hNext = Tensor.Zeros([b, h], dtype, d);
                        d.Backend.RnnCell(relu, pre, hPrev, hNext, active);
                        var dh = On(d, Randn([b, h], dtype, 92));
                        var dPre = On(d, Randn([b, h], dtype, 93));
                        d.Backend.RnnCellBackward(relu, hNext, dh, dPre, active);
                        return [hNext, dPre];
                    }, scale: 1);
    }
}
