using System.CommandLine;
using Axon.Cli;

var root = new RootCommand("axon: neural networks in pure C#.")
{
    ToyCommand.Create(),
};
return root.Parse(args).Invoke();
