using System.CommandLine;
using Axon.Cli;

var root = new RootCommand("axon: neural networks in pure C#. Train, evaluate and use Fashion-MNIST classifiers; run the lectures' labs.")
{
    TrainCommand.Create(),
    LrFindCommand.Create(),
    ModelCommands.Eval(),
    ModelCommands.Predict(),
    ModelCommands.Summary(),
    ToyCommand.Create(),
};
return root.Parse(args).Invoke();
