using Axon.Cli;
using Spectre.Console;

// In a pipe Spectre assumes 80 columns and hard-wraps every longer line mid-sentence; a log reads better with whole
// lines (the tables are laid out to fit 80 columns anyway).
EmbeddedNativeLibraries.Register();
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 400;
return Cli.Run(Cli.CreateRoot(), args);
