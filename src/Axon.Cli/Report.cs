using System.Globalization;
using Axon.Models.Training;
using Spectre.Console;

namespace Axon.Cli;

/// <summary>Console tables shared by the commands.</summary>
internal static class Report
{
    /// <summary>Prints the confusion matrix (rows: true class) and the per-class accuracy.</summary>
    public static void Confusion(Evaluation eval, IReadOnlyList<string> classNames)
    {
        int k = classNames.Count;
        var table = new Table().Title("confusion matrix (rows: true class, columns: predicted)").AddColumn("true \\ predicted");
        for (int j = 0; j < k; j++) table.AddColumn(new TableColumn(j.ToString(CultureInfo.InvariantCulture)).RightAligned());
        table.AddColumn(new TableColumn("accuracy").RightAligned());
        var perClass = eval.PerClassAccuracy();
        for (int i = 0; i < k; i++)
        {
            var cells = new List<string> { Markup.Escape($"{i} {classNames[i]}") };
            for (int j = 0; j < k; j++) cells.Add(i == j ? $"[bold]{eval.Confusion[i, j]}[/]" : eval.Confusion[i, j].ToString(CultureInfo.InvariantCulture));
            cells.Add(perClass[i].ToString("P1", CultureInfo.InvariantCulture));
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"loss {eval.Loss.ToString("F4", CultureInfo.InvariantCulture)}, accuracy [bold]{eval.Accuracy.ToString("P2", CultureInfo.InvariantCulture)}[/]");
    }
}
