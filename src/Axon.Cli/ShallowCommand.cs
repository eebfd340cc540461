using System.CommandLine;
using Axon.Data;
using Axon.Models;
using Axon.Models.Training;
using Spectre.Console;
using static Axon.Cli.Cli;

namespace Axon.Cli;

/// <summary>
/// <c>axon shallow</c>: "shallow learning" on Fashion-MNIST, the lectures' contrast to the CNNs. Hand-designed features
/// (HOG descriptors or the raw pixels), standardised with the training set's statistics, and a linear classifier on top
/// (a linear SVM on the multiclass hinge loss, or logistic regression on cross-entropy) with an L2 penalty. Prints the
/// feature dimension, the train and test accuracy, and the time of the feature extraction and of the training.
/// </summary>
internal static class ShallowCommand
{
    private static readonly string[] FeatureNames = ["hog", "pixels"];
    private static readonly string[] ClassifierNames = ["svm", "logreg"];
    private static readonly string[] NormNames = ["l2-hys", "l2", "l1", "l1-sqrt"];
    private static readonly string[] IdxFiles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    public static Command Create()
    {
        var defaults = new ShallowOptions();
        var recipe = defaults.Training;
        var features = new Option<string>("--features") { Description = "Features: hog (Histograms of Oriented Gradients) or pixels (the raw 784 pixels).", DefaultValueFactory = _ => "hog" }
            .OneOf(FeatureNames, "hog|pixels");
        var classifier = new Option<string>("--classifier") { Description = "Linear classifier: svm (multiclass hinge loss) or logreg (logistic regression, cross-entropy).", DefaultValueFactory = _ => "svm" }
            .OneOf(ClassifierNames, "svm|logreg");
        var cell = new Option<int>("--cell") { Description = "HOG cell side in pixels.", DefaultValueFactory = _ => defaults.Hog.CellSize }.Require(v => v >= 1, "must be at least 1");
        var block = new Option<int>("--block") { Description = "HOG block side in cells.", DefaultValueFactory = _ => defaults.Hog.BlockSize }.Require(v => v >= 1, "must be at least 1");
        var blockStride = new Option<int>("--block-stride") { Description = "Step between HOG blocks in cells (1: overlapping blocks).", DefaultValueFactory = _ => defaults.Hog.BlockStride }.Require(v => v >= 1, "must be at least 1");
        var orientations = new Option<int>("--orientations") { Description = "HOG orientation bins.", DefaultValueFactory = _ => defaults.Hog.Orientations }.Require(v => v is >= 1 and <= 360, "must be between 1 and 360");
        var signed = new Option<bool>("--signed") { Description = "Signed gradients (bins over 0-360 degrees instead of 0-180)." };
        var interpolate = new Option<bool>("--interpolate") { Description = "Split each HOG vote between the two nearest orientation bins (Dalal and Triggs) instead of the one that holds it (scikit-image)." };
        var norm = new Option<string>("--norm") { Description = "HOG block normalisation: l2-hys (clip 0.2), l2, l1 or l1-sqrt.", DefaultValueFactory = _ => "l2-hys" }.OneOf(NormNames, "name");
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training set.", DefaultValueFactory = _ => recipe.Epochs }.Require(v => v >= 1, "must be at least 1");
        var lr = new Option<double>("--lr") { Description = "SGD learning rate (momentum 0.9, cosine schedule).", DefaultValueFactory = _ => recipe.LearningRate }
            .Require(v => v > 0 && double.IsFinite(v), "must be finite and greater than 0");
        var weightDecay = new Option<double>("--weight-decay") { Description = "L2 penalty λ‖W‖² on the weights (the SVM's λ; C = 1/(2λN)).", DefaultValueFactory = _ => recipe.L2 }
            .Require(v => v >= 0 && double.IsFinite(v), "must be finite and non-negative");
        var batchSize = new Option<int>("--batch-size") { Description = "Mini-batch size.", DefaultValueFactory = _ => recipe.BatchSize }.Require(v => v >= 1, "must be at least 1");
        var seed = new Option<long>("--seed") { Description = "Seed of the weights' initialisation and the data order.", DefaultValueFactory = _ => 0 };
        var common = new TrainingOptionSet(_ => false);
        var command = new Command("shallow", "Shallow learning on Fashion-MNIST: HOG or pixel features and a linear SVM or logistic regression on top.")
        {
            features, classifier, cell, block, blockStride, orientations, signed, interpolate, norm, epochs, lr, weightDecay, batchSize, seed, common.Threads, common.DataDir, common.Limit,
        };
        command.Validators.Add(r =>
        {
            if (r.ValueOr(features, "hog") != "hog")
            {
                foreach (var o in new Option[] { cell, block, blockStride, orientations, signed, interpolate, norm })
                    if (r.Typed(o)) r.AddError($"{o.Name} sets the HOG features; it does nothing with --features {r.ValueOr(features, "hog")}");
            }
            int side = r.ValueOr(cell, defaults.Hog.CellSize) * r.ValueOr(block, defaults.Hog.BlockSize);
            if (r.ValueOr(features, "hog") == "hog" && side > FashionMnist.ImageSize)
                r.AddError($"--cell times --block must fit the 28x28 images: a block of {r.ValueOr(block, defaults.Hog.BlockSize)}x{r.ValueOr(block, defaults.Hog.BlockSize)} cells of {r.ValueOr(cell, defaults.Hog.CellSize)} pixels is {side} pixels wide");
        });
        command.SetAction(p => Guard(p, () =>
        {
            var hog = new HogOptions
            {
                CellSize = p.GetValue(cell),
                BlockSize = p.GetValue(block),
                BlockStride = p.GetValue(blockStride),
                Orientations = p.GetValue(orientations),
                Signed = p.GetValue(signed),
                InterpolateBins = p.GetValue(interpolate),
                BlockNorm = p.GetValue(norm) switch { "l2" => HogBlockNorm.L2, "l1" => HogBlockNorm.L1, "l1-sqrt" => HogBlockNorm.L1Sqrt, _ => HogBlockNorm.L2Hys },
            };
            var options = defaults with
            {
                Features = p.GetValue(features) == "pixels" ? ShallowFeatures.Pixels : ShallowFeatures.Hog,
                Classifier = p.GetValue(classifier) == "logreg" ? ShallowClassifier.LogisticRegression : ShallowClassifier.Svm,
                Hog = hog,
                Threads = p.GetValue(common.Threads),
                Training = recipe with
                {
                    Epochs = p.GetValue(epochs),
                    BatchSize = p.GetValue(batchSize),
                    OptimizerSettings = recipe.Hyperparameters with { Lr = p.GetValue(lr) },
                    L2 = p.GetValue(weightDecay),
                    Seed = p.GetValue(seed),
                },
            };
            return Run(options, p.GetValue(common.DataDir), p.GetValue(common.Limit));
        }));
        return command;
    }

    private static int Run(ShallowOptions options, string? dataDir, int limit)
    {
        if (dataDir is null)
        {
            string[] files = [.. IdxFiles.Select(f => Path.Combine(FashionMnist.DefaultDirectory, f + ".gz"))];
            DebianPackages.Ensure("Fashion-MNIST", files, ["dataset-fashion-mnist"], "--data-dir DIR");
        }
        var (trainSet, testSet) = TrainCommand.LoadData(dataDir, limit, unitRange: true);
        var (trainImages, trainLabels) = All(trainSet);
        var (testImages, testLabels) = All(testSet);
        var pipeline = new ShallowPipeline(options);
        int threads = options.Threads;
        string featureText = options.Features == ShallowFeatures.Hog ? $"HOG ({options.Hog})" : "raw pixels";
        string classifierText = options.Classifier == ShallowClassifier.Svm ? "linear SVM (multiclass hinge)" : "logistic regression";
        var t = options.Training;
        AnsiConsole.WriteLine($"{classifierText} on {featureText}, standardised; Fashion-MNIST {trainSet.Count} training / {testSet.Count} test images; " +
            $"{t.Epochs} epochs, batch {t.BatchSize}, sgd lr {F(t.LearningRate, "G3")} momentum 0.9, cosine schedule, L2 λ {F(t.L2, "G3")} (C = 1/(2λN) = {F(t.L2 > 0 ? 1 / (2 * t.L2 * trainSet.Count) : double.PositiveInfinity, "G3")}), seed {t.Seed}, {Threads(threads)}.");

        var due = PlainProgressDue();
        var result = pipeline.Fit(trainImages, trainLabels, testImages, testLabels,
            onEpoch: e => AnsiConsole.WriteLine($"epoch {e.Epoch}/{t.Epochs}: lr {F(e.LearningRate, "G3")}  train loss {F(e.TrainLoss, "F4")} acc {F(100 * e.TrainAccuracy, "F2")}%  " +
                $"test loss {F(e.TestLoss, "F4")} acc {F(100 * e.TestAccuracy, "F2")}%  {F(e.Seconds, "F1")} s"),
            onBatch: b =>
            {
                if (b.Batch < b.Batches && due()) AnsiConsole.WriteLine($"epoch {b.Epoch} batch {b.Batch}/{b.Batches}  loss {F(b.Loss, "F4")}");
            });

        var table = new Table().AddColumns("features", "dimension", "classifier", "train accuracy", "test accuracy", "features time", "standardising", "training time");
        table.AddRow(Markup.Escape(options.Features == ShallowFeatures.Hog ? "HOG" : "pixels"), result.FeatureLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
            options.Classifier == ShallowClassifier.Svm ? "linear SVM" : "logistic regression", $"{F(100 * result.TrainAccuracy, "F2")}%", $"[bold]{F(100 * result.TestAccuracy, "F2")}%[/]",
            $"{F(result.FeatureTime.TotalSeconds, "F2")} s", $"{F(result.StandardizeTime.TotalSeconds, "F2")} s", $"{F(result.TrainTime.TotalSeconds, "F1")} s");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Test accuracy [bold green]{F(100 * result.TestAccuracy, "F2")}%[/] ({result.FeatureLength} features; extraction {F(result.FeatureTime.TotalSeconds, "F2")} s, standardisation {F(result.StandardizeTime.TotalSeconds, "F2")} s, " +
            $"training {F(result.TrainTime.TotalSeconds, "F1")} s; {Threads(threads)}).");
        return 0;
    }

    /// <summary>Every image of a data set as one [N, 1, 28, 28] batch, and the labels [N].</summary>
    private static (Tensor Images, Tensor Labels) All(IDataset data) =>
        ((Dataset)data).GetBatch(Enumerable.Range(0, data.Count).ToArray());
}
