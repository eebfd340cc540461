using Axon.Nn;

namespace Axon.Models;

/// <summary>The recurrent layer of a <see cref="RowRnnClassifier"/>.</summary>
public enum RowRnnKind
{
    /// <summary>Long short-term memory (<see cref="LSTM"/>).</summary>
    Lstm,

    /// <summary>Gated recurrent unit (<see cref="GRU"/>).</summary>
    Gru,
}

/// <summary>
/// An image classifier that reads an image row by row: [N, 1, R, C] (or [N, R, C]) is a batch-first sequence of R steps
/// of C pixels, run through a stacked LSTM or GRU (dropout between its layers in training), and the last step's hidden
/// state of the top layer goes through <c>fc</c>, a linear layer to the class logits. On Fashion-MNIST: 28 steps of 28
/// pixels. Keys: <c>rnn.weight_ih_l0</c>, ... (PyTorch's <c>nn.LSTM</c>/<c>nn.GRU</c> with <c>batch_first=True</c>)
/// and <c>fc.weight</c>, <c>fc.bias</c>. Shape: [N, 1, R, C] -> [N, classes].
/// </summary>
public sealed class RowRnnClassifier : Module<Tensor, Tensor>
{
    private readonly Module rnn;

    /// <summary>Creates the network and initialises it from <paramref name="generator"/>, which also draws the dropout masks.</summary>
    public RowRnnClassifier(RowRnnKind kind, int hiddenSize = 128, int numLayers = 1, double dropout = 0, int numClasses = 10, int rowSize = 28, Generator? generator = null)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "RowRnnClassifier: unknown recurrent layer.");
        if (numClasses <= 0) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "RowRnnClassifier: numClasses must be positive.");
        Kind = kind;
        rnn = RegisterModule<Module>("rnn", kind == RowRnnKind.Lstm
            ? new LSTM(rowSize, hiddenSize, numLayers, batchFirst: true, dropout: dropout, generator: generator)
            : new GRU(rowSize, hiddenSize, numLayers, batchFirst: true, dropout: dropout, generator: generator));
        Fc = RegisterModule("fc", new Linear(hiddenSize, numClasses, generator: generator));
    }

    /// <summary>LSTM or GRU.</summary>
    public RowRnnKind Kind { get; }

    /// <summary>The recurrent layer (an <see cref="LSTM"/> or a <see cref="GRU"/>, batch-first).</summary>
    public IRecurrentLayer Rnn => (IRecurrentLayer)rnn;

    /// <summary>The classifier on the last hidden state.</summary>
    public Linear Fc { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(input.Rank == 3 || (input.Rank == 4 && input.Shape[1] == 1)))
            throw new ArgumentException($"RowRnnClassifier: expected images [N, 1, R, C] or [N, R, C], got [{string.Join(", ", input.GetShape())}].", nameof(input));
        var rows = input.Rank == 4 ? input.Squeeze(1) : input;  // [N, R, C]: R steps of C pixels
        // The final state [L, N, H]: its top layer is the hidden state after the last row.
        var h = rnn switch
        {
            LSTM lstm => lstm.Call(rows).State.H,
            GRU gru => gru.Call(rows).State,
            _ => throw new InvalidOperationException("RowRnnClassifier: unexpected recurrent layer."),
        };
        return Fc.Call(h.Select(0, h.Shape[0] - 1));
    }
}
