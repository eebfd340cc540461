using System.Globalization;
using System.Text;
using Axon.Data;
using Axon.Nn;

namespace Axon.Models;

/// <summary>The recurrent cell of a <see cref="CharLm"/>.</summary>
public enum CharLmCell
{
    /// <summary>Long short-term memory (<see cref="LSTM"/>).</summary>
    Lstm,

    /// <summary>Gated recurrent unit (<see cref="GRU"/>).</summary>
    Gru,
}

/// <summary>A <see cref="CharLm"/>'s recurrent state: h (and the LSTM's c), each [layers, batch, hidden].</summary>
/// <param name="H">Hidden state.</param>
/// <param name="C">The LSTM's cell state; null for the GRU.</param>
public sealed record CharLmState(Tensor H, Tensor? C)
{
    /// <summary>The state cut from the graph, to carry into the next chunk (truncated back-propagation through time).</summary>
    public CharLmState Detach() => new(H.Detach(), C?.Detach());
}

/// <summary>
/// A character-level language model (Karpathy's char-rnn; PyTorch's word_language_model with characters): Embedding
/// -> dropout -> a stacked LSTM or GRU (dropout between its layers) -> dropout -> Linear to the vocabulary. Shape: ids
/// [T, B] int64 -> logits [T, B, V], time-major. The state is carried from chunk to chunk with
/// <see cref="CharLmState.Detach"/>. State-dict keys: <c>encoder.weight</c>, <c>rnn.weight_ih_l0</c>, ...,
/// <c>decoder.weight</c>, <c>decoder.bias</c>.
/// <code>
/// var model = new CharLm(vocab.Count, CharLmCell.Lstm, hiddenSize: 256, numLayers: 2, dropout: 0.2, generator: g);
/// var (logits, state) = model.Forward(input, state);          // input [T, B] ids
/// var loss = Functional.CrossEntropy(logits.Reshape(-1, vocab.Count), target.Reshape(-1));
/// string text = model.Sample(vocab, "In the beginning", 300, temperature: 0.8, new Generator(1));
/// </code>
/// </summary>
public sealed class CharLm : Module<Tensor, Tensor>
{
    private readonly IRecurrentLayer rnn;

    /// <summary>
    /// Creates the model, initialised from <paramref name="generator"/>, which also draws the dropout masks (so a
    /// checkpoint of its state resumes them exactly).
    /// </summary>
    /// <param name="vocabSize">Number of characters.</param>
    /// <param name="cell">LSTM or GRU.</param>
    /// <param name="hiddenSize">Size of the recurrent state.</param>
    /// <param name="numLayers">Stacked recurrent layers.</param>
    /// <param name="embeddingDim">Size of a character's embedding (default: the hidden size, at most 64).</param>
    /// <param name="dropout">Dropout probability on the embeddings, between the recurrent layers and before the output layer, in training.</param>
    /// <param name="generator">Initialisation and dropout.</param>
    public CharLm(int vocabSize, CharLmCell cell = CharLmCell.Lstm, int hiddenSize = 256, int numLayers = 2, int? embeddingDim = null, double dropout = 0, Generator? generator = null)
    {
        if (vocabSize < 1) throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "CharLm: vocabSize must be at least 1.");
        if (!(dropout >= 0 && dropout < 1)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "CharLm: dropout must be in [0, 1).");
        int embed = embeddingDim ?? Math.Min(hiddenSize, 64);
        VocabSize = vocabSize;
        Cell = cell;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        EmbeddingDim = embed;
        DropoutP = dropout;
        Encoder = RegisterModule("encoder", new Embedding(vocabSize, embed, generator: generator));
        Module recurrent = cell switch
        {
            CharLmCell.Lstm => new LSTM(embed, hiddenSize, numLayers, dropout: dropout, generator: generator),
            CharLmCell.Gru => new GRU(embed, hiddenSize, numLayers, dropout: dropout, generator: generator),
            _ => throw new ArgumentOutOfRangeException(nameof(cell), cell, "CharLm: cell must be Lstm or Gru."),
        };
        rnn = (IRecurrentLayer)RegisterModule("rnn", recurrent);
        Drop = RegisterModule("drop", new Dropout(dropout, generator));
        Decoder = RegisterModule("decoder", new Linear(hiddenSize, vocabSize, generator: generator));
    }

    /// <summary>Number of characters (input and output size).</summary>
    public int VocabSize { get; }

    /// <summary>LSTM or GRU.</summary>
    public CharLmCell Cell { get; }

    /// <summary>Size of the recurrent state.</summary>
    public int HiddenSize { get; }

    /// <summary>Stacked recurrent layers.</summary>
    public int NumLayers { get; }

    /// <summary>Size of a character's embedding.</summary>
    public int EmbeddingDim { get; }

    /// <summary>Dropout probability in training.</summary>
    public double DropoutP { get; }

    /// <summary>The character embedding.</summary>
    public Embedding Encoder { get; }

    /// <summary>The dropout on the embeddings and on the recurrent output.</summary>
    public Dropout Drop { get; }

    /// <summary>The output layer: hidden state to next-character logits.</summary>
    public Linear Decoder { get; }

    /// <summary>A zero state for <paramref name="batch"/> streams, on the model's device.</summary>
    public CharLmState ZeroState(int batch)
    {
        var device = Device;
        return new CharLmState(Tensor.Zeros([NumLayers, batch, HiddenSize], device: device),
            Cell == CharLmCell.Lstm ? Tensor.Zeros([NumLayers, batch, HiddenSize], device: device) : null);
    }

    /// <summary>Logits [T, B, V] from a zero state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null).Logits;

    /// <summary>Runs ids [T, B] (int64) from <paramref name="state"/> (zeros when null): logits [T, B, V] and the final state.</summary>
    public (Tensor Logits, CharLmState State) Forward(Tensor input, CharLmState? state)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2 || input.DType != DType.Int64)
            throw new ArgumentException($"CharLm: expected int64 ids [T, B], got {input.DType.TorchName()} [{string.Join(", ", input.GetShape())}].", nameof(input));
        int steps = input.Shape[0], batch = input.Shape[1];
        var x = Drop.Call(Encoder.Call(input));
        var (output, h, c) = rnn.Run(x, state?.H, state?.C);
        var logits = Decoder.Call(Drop.Call(output).Reshape(steps * batch, HiddenSize));
        return (logits.Reshape(steps, batch, VocabSize), new CharLmState(h, c));
    }

    /// <summary>
    /// Generates <paramref name="length"/> characters after <paramref name="seedText"/> (which primes the state; it must
    /// be non-empty and use the vocabulary's characters). Each character is drawn from softmax(logits / temperature) with
    /// <paramref name="generator"/>, so the same seed gives the same text; a temperature of 1e-6 or less picks the most
    /// likely character (greedy). Runs in evaluation mode without recording; the model's mode is restored after.
    /// </summary>
    /// <returns>The generated characters (without the seed text).</returns>
    public string Sample(CharVocabulary vocabulary, string seedText, int length, double temperature, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(seedText);
        ArgumentNullException.ThrowIfNull(generator);
        if (vocabulary.Count != VocabSize) throw new ArgumentException($"CharLm: the vocabulary has {vocabulary.Count} characters, the model {VocabSize}.", nameof(vocabulary));
        if (seedText.Length == 0) throw new ArgumentException("The seed text is empty; give at least one character to start from.", nameof(seedText));
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!(temperature >= 0) || double.IsInfinity(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be a finite number ≥ 0.");
        long[] seed;
        try
        {
            seed = vocabulary.Encode(seedText);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(e.Message.Replace("The text", "The seed text", StringComparison.Ordinal).Replace(" (Parameter 'text')", "", StringComparison.Ordinal), nameof(seedText), e);
        }
        bool wasTraining = Training;
        Eval();
        try
        {
            using var noGrad = GradMode.NoGrad();
            var device = Device;
            var sb = new StringBuilder();
            var (logits, state) = Forward(Tensor.FromArray(seed, seed.Length, 1).To(device), null);
            var last = logits.Select(0, seed.Length - 1).Reshape(VocabSize);
            var scores = new double[VocabSize];
            for (int i = 0; i < length; i++)
            {
                var values = last.To(Device.Cpu).ToFloatArray();
                int next = Pick(values, temperature, generator, scores);
                sb.Append(vocabulary[next]);
                if (i + 1 == length) break;
                (logits, state) = Forward(Tensor.FromArray(new long[] { next }, 1, 1).To(device), state);
                last = logits.Reshape(VocabSize);
            }
            return sb.ToString();
        }
        finally
        {
            Train(wasTraining);
        }
    }

    /// <summary>One draw from softmax(logits / temperature), in double precision; the arg max when the temperature is ≤ 1e-6.</summary>
    internal static int Pick(float[] logits, double temperature, Generator generator, double[] scratch)
    {
        int best = 0;
        for (int v = 1; v < logits.Length; v++)
            if (logits[v] > logits[best]) best = v;
        if (temperature <= 1e-6) return best;
        double max = logits[best], sum = 0;
        for (int v = 0; v < logits.Length; v++) sum += scratch[v] = Math.Exp((logits[v] - max) / temperature);
        double u = generator.NextDouble() * sum, acc = 0;
        for (int v = 0; v < logits.Length; v++)
        {
            acc += scratch[v];
            if (u < acc) return v;
        }
        return best;   // u rounded to the very top of the sum
    }

    /// <summary>The model's settings as file metadata (with the vocabulary), to rebuild it with <see cref="FromMetadata"/>.</summary>
    public Dictionary<string, string> Metadata(CharVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["model"] = "char-lm",
            ["vocab"] = vocabulary.Text,
            ["cell"] = Cell == CharLmCell.Lstm ? "lstm" : "gru",
            ["hidden"] = HiddenSize.ToString(CultureInfo.InvariantCulture),
            ["layers"] = NumLayers.ToString(CultureInfo.InvariantCulture),
            ["embedding"] = EmbeddingDim.ToString(CultureInfo.InvariantCulture),
            ["dropout"] = DropoutP.ToString("R", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Builds the model and its vocabulary from <see cref="Metadata"/> (weights not loaded); <paramref name="source"/> names the file in messages.</summary>
    /// <exception cref="InvalidDataException">The metadata is not a character model's.</exception>
    public static (CharLm Model, CharVocabulary Vocabulary) FromMetadata(IReadOnlyDictionary<string, string> metadata, string source)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.GetValueOrDefault("model") != "char-lm" || !metadata.TryGetValue("vocab", out var vocab) || vocab.Length == 0)
            throw new InvalidDataException($"{source}: not a character language model (its metadata has no char-lm model and vocabulary).");
        int Int(string key) => metadata.TryGetValue(key, out var s) && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 ? v
            : throw new InvalidDataException($"{source}: the model's metadata lacks a valid '{key}'.");
        var cell = metadata.GetValueOrDefault("cell") switch
        {
            "lstm" => CharLmCell.Lstm,
            "gru" => CharLmCell.Gru,
            var other => throw new InvalidDataException($"{source}: unknown cell '{other}' in the model's metadata."),
        };
        double dropout = metadata.TryGetValue("dropout", out var d) && double.TryParse(d, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) ? p : 0;
        var vocabulary = CharVocabulary.FromText(vocab);
        return (new CharLm(vocabulary.Count, cell, Int("hidden"), Int("layers"), Int("embedding"), dropout), vocabulary);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"cell={Cell}, vocab={VocabSize}, hidden={HiddenSize}, layers={NumLayers}, embedding={EmbeddingDim}, dropout={DropoutP}");
}
