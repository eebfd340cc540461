using System.Globalization;
using Axon.Models.Training;
using Spectre.Console;

namespace Axon.Cli;

/// <summary>Console tables shared by the commands.</summary>
internal static class Report
{
    /// <summary>
    /// Prints the confusion matrix (rows: true class, columns: predicted class by index) and the per-class accuracy, then
    /// the loss and accuracy with the thread count they were computed with. The layout is compact enough for 80 columns
    /// (the width Spectre assumes in a pipe); on a narrower console the rows are labelled by index with a legend below,
    /// so that no class name is broken.
    /// </summary>
    public static void Confusion(Evaluation eval, IReadOnlyList<string> classNames, int threads)
    {
        int k = classNames.Count;
        var perClass = eval.PerClassAccuracy();
        string[] labels = [.. Enumerable.Range(0, k).Select(i => $"{i} {classNames[i]}")];
        long most = 0;
        foreach (var c in eval.Confusion) most = Math.Max(most, c);
        int cell = Math.Max(most.ToString(CultureInfo.InvariantCulture).Length, (k - 1).ToString(CultureInfo.InvariantCulture).Length);
        const string Accuracy = "accuracy", True = "true";
        // As Spectre lays the table out below: the edge, the label, a separating space and the digits per class, a
        // separating space, a padding space and the accuracy column, the edge.
        int Width(int label) => 1 + Math.Max(label, True.Length) + k * (1 + cell) + 2 + Accuracy.Length + 1;
        bool named = Width(labels.Max(l => l.Length)) <= AnsiConsole.Profile.Width;
        if (!named) labels = [.. Enumerable.Range(0, k).Select(i => i.ToString(CultureInfo.InvariantCulture))];

        var table = new Table().Border(TableBorder.Simple).HideRowSeparators()
            .AddColumn(new TableColumn(True).NoWrap().PadLeft(0).PadRight(0));
        for (int j = 0; j < k; j++) table.AddColumn(new TableColumn(j.ToString(CultureInfo.InvariantCulture)).RightAligned().NoWrap().PadLeft(0).PadRight(0));
        table.AddColumn(new TableColumn(Accuracy).RightAligned().NoWrap().PadLeft(1).PadRight(0));
        for (int i = 0; i < k; i++)
        {
            var cells = new List<string> { Markup.Escape(labels[i]) };
            for (int j = 0; j < k; j++) cells.Add(i == j ? $"[bold]{eval.Confusion[i, j]}[/]" : eval.Confusion[i, j].ToString(CultureInfo.InvariantCulture));
            cells.Add(perClass[i].ToString("P1", CultureInfo.InvariantCulture));
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.WriteLine("Confusion matrix (rows: true class; columns: predicted class):");
        AnsiConsole.Write(table);
        if (!named)
            AnsiConsole.WriteLine("Classes: " + string.Join(", ", classNames.Select((n, i) => $"{i}\u00a0{n.Replace(' ', '\u00a0')}")) + ".");
        AnsiConsole.MarkupLine($"loss {eval.Loss.ToString("F4", CultureInfo.InvariantCulture)}, accuracy [bold]{eval.Accuracy.ToString("P2", CultureInfo.InvariantCulture)}[/] ({Cli.Threads(threads)})");
    }
}
