using Axon.Models.Training;
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
        // Slanted up to the right and ending at their tick, so that the last name does not run off the right edge.
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        // ScottPlot sizes the axis for unrotated labels, which clips the slanted ones and draws the axis title over
        // them: reserve their slanted height, and the title's below it.
        using (var paint = Paint.NewDisposablePaint())
        {
            var style = plot.Axes.Bottom.TickLabelStyle;
            float longest = classNames.Max(n => style.Measure(n, paint).Width), lineHeight = style.Measure("Ag", paint).Height;
            float slanted = (longest + lineHeight) * MathF.Sqrt(0.5f);
            plot.Axes.Bottom.MinimumSize = plot.Axes.Bottom.MajorTickStyle.Length + slanted + 1.5f * plot.Axes.Bottom.Label.FontSize + 12;
        }
        plot.Axes.Left.SetTicks(ticks, classNames.Reverse().ToArray());
        plot.Axes.Bottom.Label.Text = "predicted class";
        plot.Axes.Left.Label.Text = "true class";
        plot.Title(title);
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        SaveAtomically(path, tmp => plot.SavePng(tmp, 800, 760));
    }

    /// <summary>Loss and accuracy per epoch (train, validation when held out, test) in two panels.</summary>
    public static void Curves(string path, IReadOnlyList<EpochReport> history, string title)
    {
        bool heldOut = history.Any(h => h.HeldOut);
        Plot Panel(string what, Func<EpochReport, double> train, Func<EpochReport, double> validation, Func<EpochReport, double> test)
        {
            var plot = new Plot();
            void Series(string label, Func<EpochReport, double> value)
            {
                // Only the epochs that have the value: the test set may be evaluated every few epochs (--eval-every).
                var points = history.Select(h => (X: (double)h.Epoch, Y: value(h))).Where(p => !double.IsNaN(p.Y)).ToArray();
                if (points.Length == 0) return;
                plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray()).LegendText = label;
            }
            Series("train", train);
            if (heldOut) Series("validation", validation);
            Series("test", test);
            plot.Title($"{title}: {what}");
            plot.Axes.Bottom.Label.Text = "epoch";
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
            // Below the axes rather than inside them, where it hid the last epochs' points.
            plot.ShowLegend(Edge.Bottom);
            return plot;
        }
        var multiplot = new Multiplot();
        multiplot.RemovePlot(multiplot.GetPlot(0));
        multiplot.AddPlot(Panel("loss", h => h.TrainLoss, h => h.ValidationLoss, h => h.TestLoss));
        multiplot.AddPlot(Panel("accuracy (%)", h => 100 * h.TrainAccuracy, h => 100 * h.ValidationAccuracy, h => 100 * h.TestAccuracy));
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        SaveAtomically(path, tmp => multiplot.SavePng(tmp, 1100, 450));
    }

    /// <summary>The range test's loss (raw and smoothed) against the learning rate on a log axis, with the suggested rate marked.</summary>
    public static void LrFind(string path, LrFinderResult result, string title)
    {
        var plot = new Plot();
        double[] logLr = result.Points.Select(p => Math.Log10(p.LearningRate)).ToArray();
        var raw = plot.Add.Scatter(logLr, result.Points.Select(p => p.Loss).ToArray());
        raw.LegendText = "loss";
        raw.MarkerSize = 0;
        raw.LineWidth = 1;
        raw.Color = raw.Color.WithAlpha(0.35);
        var smooth = plot.Add.Scatter(logLr, result.Points.Select(p => p.SmoothedLoss).ToArray());
        smooth.LegendText = "smoothed loss";
        smooth.MarkerSize = 0;
        smooth.LineWidth = 2;
        var line = plot.Add.VerticalLine(Math.Log10(result.SuggestedLr));
        line.LegendText = $"suggested lr {result.SuggestedLr.ToString("G2", System.Globalization.CultureInfo.InvariantCulture)}";
        line.LinePattern = LinePattern.Dashed;
        // A log axis: the data are log10(lr), the ticks show the powers of ten with minor ticks in between.
        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => "1e" + Math.Round(v).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Bottom.Label.Text = "learning rate (log scale)";
        plot.Axes.Left.Label.Text = "training loss";
        // Keep the exploding tail from flattening the curve: the y axis stops at 1.5 times the first smoothed loss.
        double first = result.Points[0].SmoothedLoss, highest = result.Points.Max(p => p.Loss);
        plot.Axes.SetLimitsY(0, Math.Max(Math.Min(highest, 1.5 * first), 1e-3) * 1.05);
        plot.Title(title);
        // Upper left: the loss starts flat below it, and the right half holds the descent and the explosion.
        plot.ShowLegend(Alignment.UpperLeft);
        SaveAtomically(path, tmp => plot.SavePng(tmp, 800, 500));
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
