using ScottPlot;

namespace Axon.Cli;

/// <summary>PNG figures drawn with ScottPlot. Every file is written to a temporary name and renamed into place.</summary>
internal static class Plots
{
    /// <summary>A decision-region panel: predicted class per grid cell over a rectangle, and the labelled points.</summary>
    public sealed record RegionPanel(string Title, int[,] Grid, double XMin, double XMax, double YMin, double YMax, float[] PointsX, float[] PointsY, long[] Labels);

    private static readonly Color[] ClassColors =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728"), Color.FromHex("#9467bd"),
        Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#7f7f7f"), Color.FromHex("#bcbd22"), Color.FromHex("#17becf"),
    ];

    /// <summary>Draws the panels side by side into one PNG.</summary>
    public static void DecisionRegions(string path, IReadOnlyList<RegionPanel> panels, int panelSize = 450)
    {
        var multiplot = new Multiplot();
        multiplot.RemovePlot(multiplot.GetPlot(0));
        foreach (var panel in panels)
        {
            var plot = new Plot();
            int rows = panel.Grid.GetLength(0), cols = panel.Grid.GetLength(1);
            // Light background per class: one translucent rectangle per grid cell, merged along rows.
            double cw = (panel.XMax - panel.XMin) / (cols - 1), ch = (panel.YMax - panel.YMin) / (rows - 1);
            for (int r = 0; r < rows; r++)
            {
                int start = 0;
                for (int c = 1; c <= cols; c++)
                {
                    if (c < cols && panel.Grid[r, c] == panel.Grid[r, start]) continue;
                    var rect = plot.Add.Rectangle(panel.XMin + (start - 0.5) * cw, panel.XMin + (c - 0.5) * cw, panel.YMin + (r - 0.5) * ch, panel.YMin + (r + 0.5) * ch);
                    rect.FillColor = ClassColors[panel.Grid[r, start] % ClassColors.Length].WithAlpha(0.25);
                    rect.LineWidth = 0;
                    start = c;
                }
            }
            foreach (var cls in panel.Labels.Distinct().Order())
            {
                var idx = Enumerable.Range(0, panel.Labels.Length).Where(i => panel.Labels[i] == cls).ToArray();
                var pts = plot.Add.ScatterPoints(idx.Select(i => (double)panel.PointsX[i]).ToArray(), idx.Select(i => (double)panel.PointsY[i]).ToArray());
                pts.Color = ClassColors[(int)cls % ClassColors.Length];
                pts.MarkerSize = 5;
                pts.LegendText = $"class {cls}";
            }
            plot.Title(panel.Title, size: 13);
            plot.Axes.SetLimits(panel.XMin, panel.XMax, panel.YMin, panel.YMax);
            multiplot.AddPlot(plot);
        }
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        SaveAtomically(path, tmp => multiplot.SavePng(tmp, panelSize * panels.Count, panelSize));
    }

    /// <summary>A confusion matrix (rows: true class, columns: predicted) as a heat map with counts, and per-class accuracy in the labels.</summary>
    public static void ConfusionMatrix(string path, long[,] counts, IReadOnlyList<string> classNames, string title)
    {
        int k = counts.GetLength(0);
        var plot = new Plot();
        var normalised = new double[k, k];
        for (int i = 0; i < k; i++)
        {
            long total = 0;
            for (int j = 0; j < k; j++) total += counts[i, j];
            for (int j = 0; j < k; j++) normalised[i, j] = total == 0 ? 0 : (double)counts[i, j] / total;
        }
        // One exact rectangle per cell (row i drawn at y = k - 1 - i so the first class is at the top).
        var colormap = new ScottPlot.Colormaps.Viridis();  // dark for rare, bright yellow for frequent
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                var cell = plot.Add.Rectangle(j - 0.5, j + 0.5, k - 1.5 - i, k - 0.5 - i);
                cell.FillColor = colormap.GetColor(normalised[i, j]);
                cell.LineWidth = 0;
            }
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                var text = plot.Add.Text(counts[i, j].ToString(System.Globalization.CultureInfo.InvariantCulture), j, k - 1 - i);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = 11;
                text.LabelFontColor = normalised[i, j] > 0.6 ? Colors.Black : Colors.White;
            }
        var ticks = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(ticks, classNames.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Left.SetTicks(ticks, classNames.Reverse().ToArray());
        plot.Axes.Bottom.Label.Text = "predicted class";
        plot.Axes.Left.Label.Text = "true class";
        plot.Title(title);
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        SaveAtomically(path, tmp => plot.SavePng(tmp, 800, 760));
    }

    /// <summary>Loss and accuracy per epoch, train and test, in two panels.</summary>
    public static void Curves(string path, IReadOnlyList<(int Epoch, double TrainLoss, double TestLoss, double TrainAccuracy, double TestAccuracy)> history, string title)
    {
        double[] epochs = history.Select(h => (double)h.Epoch).ToArray();
        var loss = new Plot();
        var a = loss.Add.Scatter(epochs, history.Select(h => h.TrainLoss).ToArray());
        a.LegendText = "train";
        var b = loss.Add.Scatter(epochs, history.Select(h => h.TestLoss).ToArray());
        b.LegendText = "test";
        loss.Title($"{title}: loss");
        loss.Axes.Bottom.Label.Text = "epoch";
        loss.ShowLegend();
        var acc = new Plot();
        var c = acc.Add.Scatter(epochs, history.Select(h => 100 * h.TrainAccuracy).ToArray());
        c.LegendText = "train";
        var d = acc.Add.Scatter(epochs, history.Select(h => 100 * h.TestAccuracy).ToArray());
        d.LegendText = "test";
        acc.Title($"{title}: accuracy (%)");
        acc.Axes.Bottom.Label.Text = "epoch";
        acc.ShowLegend(Edge.Bottom);
        var multiplot = new Multiplot();
        multiplot.RemovePlot(multiplot.GetPlot(0));
        multiplot.AddPlot(loss);
        multiplot.AddPlot(acc);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        SaveAtomically(path, tmp => multiplot.SavePng(tmp, 1100, 450));
    }

    /// <summary>Runs <paramref name="write"/> on a temporary file beside <paramref name="path"/> and renames it into place.</summary>
    public static void SaveAtomically(string path, Action<string> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp" + Environment.ProcessId + Path.GetExtension(full);
        try
        {
            write(tmp);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
