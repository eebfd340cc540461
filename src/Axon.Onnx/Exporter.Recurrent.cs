namespace Axon.Onnx;

// One direction of one recurrent layer: ONNX's RNN, LSTM or GRU, with the gates in ONNX's order.
internal sealed partial class Exporter
{
    /// <summary>
    /// PyTorch's (and Axon's) gate blocks are i, f, g, o for the LSTM and r, z, n for the GRU; ONNX's are i, o, f, c and
    /// z, r, h. The weights stay initializers in their own layout under their state-dict names: the graph splits and
    /// re-concatenates them (a constant computation runtimes fold when they load the model).
    /// </summary>
    private static readonly int[] LstmOrder = [0, 3, 1, 2], GruOrder = [1, 0, 2];

    private void Recurrent()
    {
        var mode = At.Get<RecurrentMode>("mode");
        if (At.Get<int[]?>("lengths") is not null) throw Unsupported("sequences of several lengths (packed) are not exported; export a batch of one length");
        bool lstm = mode == RecurrentMode.Lstm;
        int w = lstm ? 3 : 2;
        int hidden = current.Inputs[w + 1].Shape[1], gates = current.Inputs[w].Shape[0] / hidden;
        int[]? order = mode switch { RecurrentMode.Lstm => LstmOrder, RecurrentMode.Gru => GruOrder, _ => null };
        string Reordered(string t)
        {
            if (order is null) return t;
            var parts = Split(t, gates, hidden);
            return g.Add("Concat", order.Select(i => parts[i]), null, OnnxAttr.Int("axis", 0));
        }

        string Directions(string t) => g.Add("Unsqueeze", [t, g.Int64s(0)]);

        var weights = Directions(Reordered(In(w)));
        var recurrence = Directions(Reordered(In(w + 1)));
        bool bias = current.Inputs.Count > w + 2;
        var biases = bias ? Directions(g.Add("Concat", [Reordered(In(w + 2)), Reordered(In(w + 3))], null, OnnxAttr.Int("axis", 0))) : "";
        var inputs = new List<string> { In(0), weights, recurrence, biases, "", Directions(In(1)) };
        if (lstm) inputs.Add(Directions(In(2)));

        var attributes = new List<global::Onnx.AttributeProto>
        {
            OnnxAttr.Int("hidden_size", hidden),
            OnnxAttr.String("direction", At.Get<bool>("reverse") ? "reverse" : "forward"),
        };
        string op = mode switch { RecurrentMode.Lstm => "LSTM", RecurrentMode.Gru => "GRU", _ => "RNN" };
        if (mode == RecurrentMode.Gru) attributes.Add(OnnxAttr.Int("linear_before_reset", 1));
        if (mode == RecurrentMode.RnnRelu) attributes.Add(OnnxAttr.Strings("activations", "Relu"));
        if (mode == RecurrentMode.RnnTanh) attributes.Add(OnnxAttr.Strings("activations", "Tanh"));

        // Y [T, directions, B, H], Y_h and Y_c [directions, B, H]: the one direction squeezed out.
        string y = g.Fresh("rnn_y"), yh = g.Fresh("rnn_h"), yc = lstm ? g.Fresh("rnn_c") : "";
        g.Node(op, inputs, lstm ? [y, yh, yc] : [y, yh], [.. attributes]);
        g.Add("Squeeze", [y, g.Int64s(1)], Out(0));
        g.Add("Squeeze", [yh, g.Int64s(0)], Out(1));
        if (lstm) g.Add("Squeeze", [yc, g.Int64s(0)], Out(2));
    }

    private string[] Split(string t, int parts, int size)
    {
        var outputs = Enumerable.Range(0, parts).Select(_ => g.Fresh("gate")).ToArray();
        g.Node("Split", [t, g.Int64s(Enumerable.Repeat((long)size, parts).ToArray())], outputs, OnnxAttr.Int("axis", 0));
        return outputs;
    }
}
