using System.Text.Json;
using System.Text.Json.Serialization;

namespace Axon.Models.Training;

/// <summary>
/// The JSON of the trainers' checkpoint metadata (options and history), generated at compile time so that it needs no
/// run-time reflection (Native AOT and trimming keep it working). Named floating-point literals carry the NaN of an
/// epoch without a validation set.
/// </summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(TrainerOptions))]
[JsonSerializable(typeof(List<EpochReport>))]
internal sealed partial class TrainerJson : JsonSerializerContext;

/// <summary>The JSON of <see cref="CharLmTrainer"/>'s checkpoint metadata; the cell type is written as "lstm" or "gru".</summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, Converters = [typeof(CamelCaseEnumConverter<CharLmCell>)])]
[JsonSerializable(typeof(CharLmOptions))]
[JsonSerializable(typeof(List<CharLmEpochReport>))]
internal sealed partial class CharLmJson : JsonSerializerContext;

/// <summary>An enum as its camel-cased name; a generated context can only name converters with a parameterless constructor.</summary>
internal sealed class CamelCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.CamelCase)
    where TEnum : struct, Enum;
