import Synchronization

/// The named calendars of the running configuration, replaceable while schedules use them.
///
/// ``CompiledSchedule`` looks its calendar up through ``lookup`` at every computation, so
/// ``replaceAll(_:)`` or ``set(_:)`` takes effect at the next fire computation without recompiling
/// jobs or restarting.
public final class CalendarRegistry: Sendable {
    private let calendars: Mutex<[String: ScheduleCalendar]>

    public init(_ calendars: [ScheduleCalendar] = []) {
        self.calendars = Mutex(Dictionary(calendars.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last }))
    }

    /// Returns the calendar named `name`, if any.
    public func calendar(named name: String) -> ScheduleCalendar? {
        calendars.withLock { $0[name] }
    }

    /// Adds or replaces one calendar.
    public func set(_ calendar: ScheduleCalendar) {
        calendars.withLock { $0[calendar.name] = calendar }
    }

    /// Replaces every calendar, as after a configuration reload.
    public func replaceAll(_ newCalendars: [ScheduleCalendar]) {
        let table = Dictionary(newCalendars.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        calendars.withLock { $0 = table }
    }

    /// The names of the calendars present now.
    public var names: [String] {
        calendars.withLock { Array($0.keys).sorted() }
    }

    /// A lookup closure for ``CompiledSchedule``.
    public var lookup: CalendarLookup {
        { [self] name in calendar(named: name) }
    }
}

/// Finds a calendar by name at the moment of a computation.
public typealias CalendarLookup = @Sendable (String) -> ScheduleCalendar?
