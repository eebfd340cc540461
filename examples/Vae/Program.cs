// A variational autoencoder (Kingma and Welling, 2014) on Fashion-MNIST. The encoder maps an image x to a Gaussian
// q(z|x) over a 20-d code; a code is drawn as z = mean + sigma * eps with eps ~ N(0, I) (the reparameterisation
// trick: the draw stays differentiable in mean and sigma); the decoder maps z to a Bernoulli probability per pixel.
// Training maximises the ELBO = E_q[log p(x|z)] - KL(q(z|x) || N(0, I)): reconstruct well, keep the codes near the
// prior. After training, decoding codes drawn from the prior makes new images.
using System.Diagnostics;
using Axon;
using Axon.Data;
using Axon.IO;
using Axon.Nn;
using Axon.Optim;

var options = ParseArgs(args, "--epochs", "--limit", "--latent", "--seed", "--data-dir", "--out");
int epochs = Get(options, "--epochs", 10);
int limit = Get(options, "--limit", 0);              // train on the first N images only (0: all 60,000)
int latent = Get(options, "--latent", 20);
long seed = Get(options, "--seed", 0L);
string dataDir = options.GetValueOrDefault("--data-dir", FashionMnist.DefaultDirectory);
string output = options.GetValueOrDefault("--out", "vae.safetensors");

var (train, test) = LoadFashionMnist(dataDir);       // mean 0, std 1: pixels stay in [0, 1], as a Bernoulli needs
IDataset trainSet = limit > 0 ? new Subset(train, Enumerable.Range(0, Math.Min(limit, train.Count))) : train;

var model = new VariationalAutoencoder(hidden: 400, latent, new Generator(seed), noise: new Generator(seed + 1));
var optimizer = new Adam(model.Parameters(), lr: 1e-3);
var loader = new DataLoader(trainSet, batchSize: 128, shuffle: true, generator: new Generator(seed + 2), prefetch: 2);
var (start, _, _) = Evaluate(model, test);
Console.WriteLine($"before training: test -ELBO {start:F1} nats per image");
double elbo = 0, reconstruction = 0, kl = 0;
for (int epoch = 1; epoch <= epochs; epoch++)
{
    var clock = Stopwatch.StartNew();
    model.Train();
    foreach (var (x, _) in loader)
    {
        using var scope = new TensorScope();
        optimizer.ZeroGrad();
        var (loss, _, _) = NegativeElbo(model, x);
        loss.Backward();
        optimizer.Step();
    }
    (elbo, reconstruction, kl) = Evaluate(model, test);
    Console.WriteLine($"epoch {epoch,2}: test -ELBO {elbo:F1} = reconstruction {reconstruction:F1} + KL {kl:F1} nats per image " +
        $"({clock.Elapsed.TotalSeconds:F1} s)");
}

// New images: codes from the prior N(0, I) through the decoder, drawn as text (darker characters, brighter pixels).
using (GradMode.NoGrad())
{
    model.Eval();
    var samples = model.Decode(Tensor.Randn([6, latent], new Generator(seed + 3))).Sigmoid();
    PrintImages(samples.ToFloatArray(), 6);
}
model.Save(output);
Console.WriteLine($"Saved the weights to {output}");
Console.WriteLine($"final: test -ELBO {elbo:F1} nats per image (reconstruction {reconstruction:F1} + KL {kl:F1}); {start:F1} before training");
return 0;

// -ELBO per image: the reconstruction term -log p(x|z) (binary cross-entropy summed over the pixels) plus the KL
// divergence of q(z|x) = N(mean, sigma^2) from N(0, I) in closed form, -1/2 sum(1 + log sigma^2 - mean^2 - sigma^2).
static (Tensor Loss, Tensor Reconstruction, Tensor Kl) NegativeElbo(VariationalAutoencoder model, Tensor x)
{
    int n = x.Size(0);
    var (logits, mean, logVar) = model.Forward(x);
    var reconstruction = Functional.BinaryCrossEntropyWithLogits(logits, x.Flatten(1), Reduction.Sum) / n;
    var kl = (1.0 + logVar - mean.Square() - logVar.Exp()).Sum() * (-0.5 / n);
    return (reconstruction + kl, reconstruction, kl);
}

static (double Elbo, double Reconstruction, double Kl) Evaluate(VariationalAutoencoder model, IDataset data)
{
    model.Eval();
    using var noGrad = GradMode.NoGrad();
    double loss = 0, reconstruction = 0, kl = 0;
    foreach (var (x, _) in new DataLoader(data, batchSize: 1000))
    {
        using var scope = new TensorScope();
        var (l, r, k) = NegativeElbo(model, x);
        (loss, reconstruction, kl) = (loss + l.Item() * x.Size(0), reconstruction + r.Item() * x.Size(0), kl + k.Item() * x.Size(0));
    }
    return (loss / data.Count, reconstruction / data.Count, kl / data.Count);
}

// Images of 28x28 values in [0, 1], three side by side, every other row (a character is about twice as tall as wide).
static void PrintImages(float[] pixels, int count)
{
    const string ramp = " .:-=+*#%@";
    for (int first = 0; first < count; first += 3)
        for (int row = 0; row < 28; row += 2)
            Console.WriteLine(string.Join("  ", Enumerable.Range(first, Math.Min(3, count - first)).Select(i =>
                string.Concat(Enumerable.Range(0, 28).Select(c => ramp[(int)(Math.Clamp(pixels[i * 784 + row * 28 + c], 0, 0.999f) * ramp.Length)])))));
}

// The Debian package dataset-fashion-mnist installs the data in /usr/share/datasets/fashion-mnist.
static (FashionMnist Train, FashionMnist Test) LoadFashionMnist(string directory)
{
    if (!File.Exists(Path.Combine(directory, "train-images-idx3-ubyte.gz")) && !File.Exists(Path.Combine(directory, "train-images-idx3-ubyte")))
        Exit($"Fashion-MNIST is not in {directory}: install it with `sudo apt-get install dataset-fashion-mnist`, or pass --data-dir");
    return (FashionMnist.Load(directory, train: true, mean: 0, std: 1), FashionMnist.Load(directory, train: false, mean: 0, std: 1));
}

// --name value pairs with defaults; an unknown option or a bad value stops with a message.
static Dictionary<string, string> ParseArgs(string[] args, params string[] known)
{
    var values = new Dictionary<string, string>();
    for (int i = 0; i < args.Length; i += 2)
    {
        if (!known.Contains(args[i])) Exit($"unknown option '{args[i]}'; the options are {string.Join(", ", known)}");
        if (i + 1 == args.Length) Exit($"{args[i]} needs a value");
        values[args[i]] = args[i + 1];
    }
    return values;
}

static T Get<T>(Dictionary<string, string> options, string name, T fallback) where T : IParsable<T>
{
    if (!options.TryGetValue(name, out var text)) return fallback;
    if (!T.TryParse(text, null, out var value)) Exit($"{name}: '{text}' is not a valid {typeof(T).Name}");
    return value;
}

[System.Diagnostics.CodeAnalysis.DoesNotReturn]
static void Exit(string message)
{
    Console.Error.WriteLine($"error: {message}");
    Environment.Exit(2);
}

/// <summary>Encoder 784 -> 400 -> (mean, log-variance) of a Gaussian code; decoder code -> 400 -> 784 Bernoulli logits.</summary>
sealed class VariationalAutoencoder : Module<Tensor, (Tensor Logits, Tensor Mean, Tensor LogVar)>
{
    private readonly Linear fc1, fcMean, fcLogVar, fc3, fc4;
    private readonly Generator noise;

    public VariationalAutoencoder(int hidden, int latent, Generator generator, Generator noise)
    {
        // RegisterModule names the parameters in the state dict: fc1.weight, fc1.bias, ...
        fc1 = RegisterModule("fc1", new Linear(784, hidden, generator: generator));
        fcMean = RegisterModule("fc_mean", new Linear(hidden, latent, generator: generator));
        fcLogVar = RegisterModule("fc_logvar", new Linear(hidden, latent, generator: generator));
        fc3 = RegisterModule("fc3", new Linear(latent, hidden, generator: generator));
        fc4 = RegisterModule("fc4", new Linear(hidden, 784, generator: generator));
        this.noise = noise;
    }

    public Tensor Decode(Tensor z) => fc4.Call(fc3.Call(z).Relu());

    public override (Tensor Logits, Tensor Mean, Tensor LogVar) Forward(Tensor input)
    {
        var h = fc1.Call(input.Flatten(1)).Relu();
        var (mean, logVar) = (fcMean.Call(h), fcLogVar.Call(h));
        var z = mean + (logVar * 0.5).Exp() * Tensor.Randn(mean.GetShape(), noise);   // the reparameterisation trick
        return (Decode(z), mean, logVar);
    }
}
