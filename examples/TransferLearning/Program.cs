// Transfer learning: features learnt on one task help another with few labels. The lectures' CNN is pretrained on the
// Fashion-MNIST classes 0-4 (T-shirt, trouser, pullover, dress, coat), then has to learn classes 5-9 (sandal, shirt,
// sneaker, bag, ankle boot) from a few labelled images each, three ways: (1) frozen features, only a new head learns;
// (2) fine-tuning everything, the new head faster than the pretrained body; (3) from scratch, for comparison.
// Here the library's Trainer runs the epochs (a ClassificationTask: cross-entropy and accuracy).
using Axon;
using Axon.Data;
using Axon.IO;
using Axon.Models;
using Axon.Models.Training;
using Axon.Nn;
using Axon.Optim;

var options = ParseArgs(args, "--pretrain-epochs", "--epochs", "--labels", "--limit", "--lr", "--seed", "--data-dir", "--out");
int pretrainEpochs = Get(options, "--pretrain-epochs", 3);
int epochs = Get(options, "--epochs", 15);          // epochs of each regime on the few labels
int labels = Get(options, "--labels", 100);         // labelled training images per target class
int limit = Get(options, "--limit", 0);             // pretrain on the first N source images only (0: all 30,000)
double lr = Get(options, "--lr", 0.05);
long seed = Get(options, "--seed", 1L);
string dataDir = options.GetValueOrDefault("--data-dir", FashionMnist.DefaultDirectory);
string pretrainedPath = options.GetValueOrDefault("--out", "pretrained.safetensors");

var (train, test) = LoadFashionMnist(dataDir);
int[] source = [0, 1, 2, 3, 4], target = [5, 6, 7, 8, 9];
// Select keeps the images of the given classes and relabels them 0..4 in that order.
var sourceTrain = TransferExperiment.Select(train, source);
IDataset pretrainSet = limit > 0 ? new Subset(sourceTrain, Enumerable.Range(0, Math.Min(limit, sourceTrain.Count))) : sourceTrain;
var targetTrain = TransferExperiment.Select(train, target, perClass: labels, new Generator(seed));
var targetTest = TransferExperiment.Select(test, target);

// 1. Pretraining on the source classes; the weights are saved, as a model from elsewhere would come.
var pretrained = new LectureCnn(numClasses: 5, generator: new Generator(seed));
var pretrainer = new Trainer(new ClassificationTask(pretrained, 5), new Generator(seed), Recipe(pretrainEpochs, 64, lr, seed));
pretrainer.Fit(pretrainSet, onEpoch: r => Console.WriteLine($"pretraining epoch {r.Epoch}: loss {r.TrainLoss:F4}, accuracy {r.TrainAccuracy:P2}"));
double sourceAccuracy = pretrainer.Evaluate(TransferExperiment.Select(test, source)).Metric(ClassificationTask.AccuracyKey);
Console.WriteLine($"pretrained on {pretrainSet.Count:N0} images: test accuracy on classes 0-4 {sourceAccuracy:P2}");
pretrained.Save(pretrainedPath);

// 2. The three regimes on the target classes. The head is the classifier's last layer, "classifier.2".
var results = new List<double>();
foreach (string regime in new[] { "frozen features", "fine-tuning", "from scratch" })
{
    var g = new Generator(seed + 20);
    var model = new LectureCnn(numClasses: 5, generator: g);
    IReadOnlyList<ParamGroup> groups;
    if (regime == "from scratch")
    {
        groups = ParamGroups.ByPattern(model, ("*", lr));
    }
    else
    {
        model.Load(pretrainedPath);
        model.ReplaceModule("classifier.2", new Linear(256, 5, generator: g));    // a new head for the new classes
        if (regime == "frozen features")
        {
            model.Freeze();                  // every parameter...
            model.Unfreeze("classifier.2");  // ...but the head's
            groups = ParamGroups.ByPattern(model, ("classifier.2", lr));
        }
        else
        {
            groups = ParamGroups.ByPattern(model, ("classifier.2", lr), ("*", lr / 10));   // the body moves slowly
        }
    }
    var trainer = new Trainer(new ClassificationTask(model, 5), g, Recipe(epochs, 32, lr, seed + 20), groups);
    trainer.Fit(targetTrain);
    double accuracy = trainer.Evaluate(targetTest).Metric(ClassificationTask.AccuracyKey);
    Console.WriteLine($"{regime,-16}: {model.TrainableParameters().Sum(p => p.NumEl),7:N0} trainable parameters, " +
        $"train accuracy {trainer.History[^1].TrainAccuracy:P2}, test accuracy on classes 5-9 {accuracy:P2}");
    results.Add(accuracy);
}
Console.WriteLine($"final: classes 5-9 from {labels} labels each: frozen features {results[0]:P2}, fine-tuning {results[1]:P2}, " +
    $"from scratch {results[2]:P2} (chance 20 %)");
return 0;

// SGD with momentum 0.9 and weight decay 5e-4, the rate annealed along a half cosine.
static TrainerOptions Recipe(int epochs, int batchSize, double lr, long seed) => new()
{
    Epochs = epochs,
    BatchSize = batchSize,
    Optimizer = "sgd",
    OptimizerSettings = new OptimizerSettings { Lr = lr, Momentum = 0.9, WeightDecay = 5e-4 },
    Schedule = "cosine",
    Seed = seed,
};

// The Debian package dataset-fashion-mnist installs the data in /usr/share/datasets/fashion-mnist.
static (FashionMnist Train, FashionMnist Test) LoadFashionMnist(string directory)
{
    if (!File.Exists(Path.Combine(directory, "train-images-idx3-ubyte.gz")) && !File.Exists(Path.Combine(directory, "train-images-idx3-ubyte")))
        Exit($"Fashion-MNIST is not in {directory}: install it with `sudo apt-get install dataset-fashion-mnist`, or pass --data-dir");
    return (FashionMnist.Load(directory, train: true), FashionMnist.Load(directory, train: false));
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
