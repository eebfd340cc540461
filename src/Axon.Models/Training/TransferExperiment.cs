using System.Globalization;
using Axon.Data;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models.Training;

/// <summary>The three ways <see cref="TransferExperiment"/> trains on the target classes.</summary>
public enum TransferRegime
{
    /// <summary>The pretrained body frozen (batch norm in eval mode too); only a new head trains: the body as a fixed feature extractor.</summary>
    FrozenFeatures,

    /// <summary>The pretrained body and a new head train together, the body at a lower rate (<see cref="TransferRecipe.BodyLr"/>).</summary>
    FineTune,

    /// <summary>A freshly initialised model of the same architecture, every parameter at the head's rate: the baseline.</summary>
    Scratch,
}

/// <summary>
/// The settings of <see cref="TransferExperiment"/>. Pretraining: SGD with momentum 0.9 and weight decay 5e-4 at
/// <see cref="PretrainLr"/> with a cosine schedule, batches of 64, every training image of the source classes. Each
/// regime: the same optimiser and schedule for <see cref="FineTuneEpochs"/> epochs in batches of 32, on
/// <see cref="LabelsPerClass"/> images per target class chosen with the seed.
/// </summary>
public sealed record TransferRecipe
{
    /// <summary>The architecture, a <see cref="ModelZoo"/> name.</summary>
    public string Model { get; init; } = "resnet-small";

    /// <summary>The classes pretrained on (Fashion-MNIST 0-4: T-shirt/top, Trouser, Pullover, Dress, Coat).</summary>
    public IReadOnlyList<int> SourceClasses { get; init; } = [0, 1, 2, 3, 4];

    /// <summary>The classes transferred to (5-9: Sandal, Shirt, Sneaker, Bag, Ankle boot).</summary>
    public IReadOnlyList<int> TargetClasses { get; init; } = [5, 6, 7, 8, 9];

    /// <summary>Epochs of pretraining on the source classes.</summary>
    public int PretrainEpochs { get; init; } = 3;

    /// <summary>Epochs of each regime on the target classes.</summary>
    public int FineTuneEpochs { get; init; } = 15;

    /// <summary>Labelled training images per target class.</summary>
    public int LabelsPerClass { get; init; } = 100;

    /// <summary>Seed of the models' initialisation, the choice of labelled images and the data order.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Rate of pretraining.</summary>
    public double PretrainLr { get; init; } = 0.05;

    /// <summary>Rate of the new head (frozen features, fine-tuning) and of every parameter when training from scratch.</summary>
    public double Lr { get; init; } = 0.05;

    /// <summary>Rate of the pretrained body under full fine-tuning (a tenth of the head's by default).</summary>
    public double BodyLr { get; init; } = 0.005;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        ModelZoo.Create(Model, 2);   // an unknown name gets the zoo's message
        if (SourceClasses.Count < 2 || TargetClasses.Count < 2) throw new ArgumentException("TransferRecipe: the source and the target need two classes or more each.");
        if (SourceClasses.Concat(TargetClasses).Any(c => c is < 0 or > 9) || SourceClasses.Concat(TargetClasses).Distinct().Count() != SourceClasses.Count + TargetClasses.Count)
            throw new ArgumentException("TransferRecipe: the source and target classes must be distinct Fashion-MNIST classes 0-9.");
        if (PretrainEpochs < 1) throw new ArgumentOutOfRangeException(nameof(PretrainEpochs), PretrainEpochs, "PretrainEpochs must be at least 1.");
        if (FineTuneEpochs < 1) throw new ArgumentOutOfRangeException(nameof(FineTuneEpochs), FineTuneEpochs, "FineTuneEpochs must be at least 1.");
        if (LabelsPerClass < 1) throw new ArgumentOutOfRangeException(nameof(LabelsPerClass), LabelsPerClass, "LabelsPerClass must be at least 1.");
        foreach (var (name, v) in new[] { (nameof(PretrainLr), PretrainLr), (nameof(Lr), Lr), (nameof(BodyLr), BodyLr) })
            if (!(v > 0 && double.IsFinite(v))) throw new ArgumentOutOfRangeException(name, v, $"{name} must be finite and greater than 0.");
    }
}

/// <summary>
/// Transfer learning on Fashion-MNIST, as the lectures pose it: pretrain a network on some classes (by default 0-4, all
/// their training images), then learn the other classes (5-9) from a few labels each (100), three ways side by side
/// (<see cref="TransferRegime"/>): the pretrained body frozen under a new head, the whole network fine-tuned with the
/// body at a lower rate, and the same architecture from scratch. Each is scored on every test image of the target
/// classes. Labels are renumbered 0..k-1 in the order of <see cref="TransferRecipe.SourceClasses"/> and
/// <see cref="TransferRecipe.TargetClasses"/>. The command line's <c>axon transfer</c> drives it epoch by epoch.
/// </summary>
public sealed class TransferExperiment
{
    /// <summary>Prepares the four data sets from Fashion-MNIST's <paramref name="train"/> and <paramref name="test"/> sets.</summary>
    /// <exception cref="ArgumentException">An invalid recipe, or a target class with fewer training images than <see cref="TransferRecipe.LabelsPerClass"/> (named).</exception>
    public TransferExperiment(TransferRecipe recipe, FashionMnist train, FashionMnist test)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        recipe.Validate();
        Recipe = recipe;
        SourceTrain = Select(train, recipe.SourceClasses);
        SourceTest = Select(test, recipe.SourceClasses);
        TargetTrain = Select(train, recipe.TargetClasses, recipe.LabelsPerClass, new Generator(recipe.Seed + 10));
        TargetTest = Select(test, recipe.TargetClasses);
        foreach (var (set, what) in new[] { (SourceTrain, "training images of the source classes"), (SourceTest, "test images of the source classes"), (TargetTest, "test images of the target classes") })
            if (set.Count == 0) throw new ArgumentException($"Transfer: the data has no {what}.");
    }

    /// <summary>The settings.</summary>
    public TransferRecipe Recipe { get; }

    /// <summary>Every training image of the source classes, labelled 0..k-1.</summary>
    public FashionMnist SourceTrain { get; }

    /// <summary>The test images of the source classes (to score the pretrained model).</summary>
    public FashionMnist SourceTest { get; }

    /// <summary><see cref="TransferRecipe.LabelsPerClass"/> seeded training images of each target class, labelled 0..k-1.</summary>
    public FashionMnist TargetTrain { get; }

    /// <summary>Every test image of the target classes.</summary>
    public FashionMnist TargetTest { get; }

    /// <summary>
    /// The images of <paramref name="classes"/> in <paramref name="data"/>, relabelled by their position in the list: all
    /// of them, or <paramref name="perClass"/> of each drawn without replacement by <paramref name="generator"/> (kept in
    /// the data's order).
    /// </summary>
    /// <exception cref="ArgumentException">A class has fewer than <paramref name="perClass"/> images (the message names it).</exception>
    public static FashionMnist Select(FashionMnist data, IReadOnlyList<int> classes, int? perClass = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(classes);
        var labels = data.Labels;
        var chosen = new List<int>();
        foreach (int c in classes)
        {
            var members = new List<int>();
            for (int i = 0; i < labels.Length; i++)
                if (labels[i] == c) members.Add(i);
            if (perClass is int n)
            {
                if (members.Count < n)
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"Transfer: {n} labelled images per class were asked for, but class {c} ({FashionMnist.ClassNames[c]}) has only {members.Count} training images."), nameof(perClass));
                var order = (generator ?? Generator.Default).Permutation(members.Count);
                members = [.. order.Take(n).Select(k => members[k]).Order()];
            }
            chosen.AddRange(members);
        }
        chosen.Sort();
        var map = new byte[10];
        for (int k = 0; k < classes.Count; k++) map[classes[k]] = (byte)k;
        var images = new byte[chosen.Count * FashionMnist.Pixels];
        var relabelled = new byte[chosen.Count];
        for (int j = 0; j < chosen.Count; j++)
        {
            data.Image(chosen[j]).CopyTo(images.AsSpan(j * FashionMnist.Pixels));
            relabelled[j] = map[labels[chosen[j]]];
        }
        return new FashionMnist(images, relabelled, data.Mean, data.Std);
    }

    /// <summary>A fresh model of the recipe's architecture with <paramref name="classes"/> outputs, initialised from <paramref name="generator"/>.</summary>
    public Module<Tensor, Tensor> CreateModel(int classes, Generator generator) => ModelZoo.Create(Recipe.Model, classes, generator);

    /// <summary>Options of pretraining: the recipe's SGD and cosine schedule over <see cref="TransferRecipe.PretrainEpochs"/>, batches of 64.</summary>
    public TrainerOptions PretrainOptions => Options(Recipe.PretrainEpochs, 64, Recipe.PretrainLr, Recipe.Seed);

    /// <summary>Options of each regime: SGD and a cosine schedule over <see cref="TransferRecipe.FineTuneEpochs"/>, batches of 32.</summary>
    public TrainerOptions FineTuneOptions => Options(Recipe.FineTuneEpochs, 32, Recipe.Lr, Recipe.Seed + 20);

    private static TrainerOptions Options(int epochs, int batch, double lr, long seed) => new()
    {
        Epochs = epochs,
        BatchSize = batch,
        Optimizer = "sgd",
        OptimizerSettings = new OptimizerSettings { Lr = lr, Momentum = 0.9, WeightDecay = 5e-4 },
        Schedule = "cosine",
        Seed = seed,
    };

    /// <summary>
    /// The name of the classifier head of <paramref name="model"/>: its last <see cref="Linear"/> layer (<c>fc</c> in a
    /// ResNet, <c>classifier.2</c> in the lecture CNN).
    /// </summary>
    /// <exception cref="ArgumentException">The model has no Linear layer.</exception>
    public static string HeadName(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.NamedModules().LastOrDefault(m => m.Module is Linear).Name
            ?? throw new ArgumentException($"Transfer: {model.GetType().Name} has no Linear layer to replace as the head.", nameof(model));
    }

    /// <summary>
    /// The model of one regime on the target classes, ready to train, with the parameter groups to optimise:
    /// for <see cref="TransferRegime.FrozenFeatures"/> and <see cref="TransferRegime.FineTune"/>, a model with the
    /// <paramref name="pretrained"/> weights and a new head (initialised from <paramref name="generator"/>), the body
    /// frozen or at <see cref="TransferRecipe.BodyLr"/>; for <see cref="TransferRegime.Scratch"/>, a fresh model.
    /// </summary>
    public (Module<Tensor, Tensor> Model, IReadOnlyList<ParamGroup> Groups) Prepare(TransferRegime regime, IReadOnlyList<KeyValuePair<string, Tensor>> pretrained, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(pretrained);
        ArgumentNullException.ThrowIfNull(generator);
        int classes = Recipe.TargetClasses.Count;
        if (regime == TransferRegime.Scratch)
        {
            var fresh = CreateModel(classes, generator);
            return (fresh, ParamGroups.ByPattern(fresh, ("*", Recipe.Lr)));
        }
        var model = CreateModel(Recipe.SourceClasses.Count, generator);
        model.LoadStateDict(pretrained);
        string head = HeadName(model);
        var old = (Linear)model.GetSubmodule(head);
        model.ReplaceModule(head, new Linear(old.InFeatures, classes, generator: generator));
        if (regime == TransferRegime.FrozenFeatures)
        {
            model.Freeze();
            model.Unfreeze(head);
            return (model, ParamGroups.ByPattern(model, (head, Recipe.Lr)));
        }
        return (model, ParamGroups.ByPattern(model, (head, Recipe.Lr), ("*", Recipe.BodyLr)));
    }
}
