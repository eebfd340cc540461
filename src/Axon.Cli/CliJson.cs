using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Axon.Cli;

/// <summary>
/// The JSON the commands write (summaries, judge results, word-vector scores), generated at compile time so the Native
/// AOT build needs no reflection. The documents are dictionaries of plain values, lists and nested dictionaries; a
/// generated context serialises an <c>object</c> only as a type it lists, so each document is first copied into the
/// few types listed here (<see cref="Normalize"/>), and its JSON is what the reflection serializer wrote before.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(List<object?>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(float))]
[JsonSerializable(typeof(double))]
internal sealed partial class CliJson : JsonSerializerContext
{
    /// <summary>Indented JSON of a dictionary document.</summary>
    public static string Serialize(Dictionary<string, object?> document) =>
        JsonSerializer.Serialize((Dictionary<string, object?>)Normalize(document)!, Default.DictionaryStringObject);

    /// <summary>Indented UTF-8 JSON of a document, with non-ASCII text written as itself (names such as "Fréchet").</summary>
    public static byte[] SerializeRelaxed(Dictionary<string, object?> document)
    {
        var options = new JsonSerializerOptions(Default.Options) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var info = (JsonTypeInfo<Dictionary<string, object?>>)options.GetTypeInfo(typeof(Dictionary<string, object?>));
        return JsonSerializer.SerializeToUtf8Bytes((Dictionary<string, object?>)Normalize(document)!, info);
    }

    /// <summary>The value with every dictionary as <c>Dictionary&lt;string, object?&gt;</c> and every other sequence as <c>List&lt;object?&gt;</c>.</summary>
    /// <exception cref="NotSupportedException">A value of a type that has no place in these documents (the message names it).</exception>
    internal static object? Normalize(object? value) => value switch
    {
        null or string or bool or int or long or float or double => value,
        IDictionary d => NormalizeDictionary(d),
        IEnumerable items => items.Cast<object?>().Select(Normalize).ToList(),
        _ => throw new NotSupportedException($"CliJson: a {value.GetType().Name} has no JSON form here; add it to CliJson."),
    };

    // A dictionary's IDictionaryEnumerator gives DictionaryEntry items (its plain enumerator gives KeyValuePairs).
    private static Dictionary<string, object?> NormalizeDictionary(IDictionary d)
    {
        var result = new Dictionary<string, object?>(d.Count, StringComparer.Ordinal);
        var e = d.GetEnumerator();
        while (e.MoveNext()) result.Add((string)e.Key, Normalize(e.Value));
        return result;
    }
}

/// <summary>The JSON of <c>run.json</c> (<see cref="RunSettings"/>): camel-cased names, indented.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(RunSettings))]
internal sealed partial class RunSettingsJson : JsonSerializerContext;
