import Foundation

/// An enum written as text in YAML and JSON, whose decoding error lists the allowed values.
///
/// Swift's own decoding of a `String` raw value says "Cannot initialize OverlapPolicy from
/// invalid String value skipp"; a conforming type says `"skipp" is not one of allow, skip,
/// buffer_one, cancel_previous` instead, in configuration files, the API and messages alike.
public protocol TextChoice: RawRepresentable, CaseIterable, Decodable where RawValue == String {}

extension TextChoice {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.unknownValueMessage(text))
        }
        self = value
    }

    /// The message for a value that is none of the cases.
    public static func unknownValueMessage(_ text: String) -> String {
        "\"\(MessageText.clipped(text))\" is not one of \(allowedValues)"
    }

    /// The allowed values, comma-separated, in declaration order.
    public static var allowedValues: String {
        allCases.map(\.rawValue).joined(separator: ", ")
    }
}

extension OverlapPolicy: TextChoice {}
extension MisfirePolicy: TextChoice {}
extension JobKind: TextChoice {}
extension ResponseMode: TextChoice {}
extension ManagedBy: TextChoice {}
extension TriggerType: TextChoice {}
extension TriggerSource: TextChoice {}
extension RunStatus: TextChoice {}
extension EventType: TextChoice {}
extension AlertKind: TextChoice {}
extension AppBudget.ExhaustedAction: TextChoice {}
extension AccessRole: TextChoice {}
extension AlertSeverity: TextChoice {}
extension RunPhase: TextChoice {}
