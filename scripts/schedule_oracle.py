#!/usr/bin/env python3
"""Brute-force oracle for the schedule engine's cron arithmetic.

Reads JSON lines on stdin and writes one JSON line per case on stdout, in order.

  {"op": "cron", "cron": "...", "dialect": "linux", "day_match": "either", "zone": "Europe/Berlin",
   "gap": "shift", "overlap": "once", "after": 1774746000, "count": 4, "horizon_days": 3660}
    -> {"fires": [unix seconds, ...]}  the first `count` fires strictly after `after`
  {"op": "offsets", "zone": "...", "instants": [...]}  -> {"offsets": [seconds east of UTC, ...]}

The oracle shares no code with the engine. It enumerates candidate local days, lists every
matching local time in them, and converts each to UTC with Python's zoneinfo (PEP 495 `fold`):
fold=0 is the first occurrence of a repeated time, and the two fold readings of a skipped time
disagree the other way. The first instant after a gap is found by bisecting zoneinfo's offsets
between the two fold readings.

Assumption: the spans it is asked about contain no offset change longer than 3 hours (true for
every zone since 2012), so local times more than 3 hours before the local time of `after` are
skipped without conversion.
"""
import bisect
import calendar
import datetime as dt
import json
import sys
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
MACROS = {
    "@yearly": "0 0 0 1 1 *", "@annually": "0 0 0 1 1 *", "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * SUN", "@daily": "0 0 0 * * *", "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}


def expand(token, low, high, names=(), name_base=0):
    """Returns the written values of a plain list element: *, a, a-b, a/s, a-b/s, wrapping ranges."""
    def value(text):
        if text in names:
            return names.index(text) + name_base
        number = int(text)
        assert low <= number <= high, (text, low, high)
        return number

    base, _, step_text = token.partition("/")
    step = int(step_text) if step_text else 1
    if base == "*":
        start, end = low, high
    elif "-" in base:
        first, last = base.split("-")
        start, end = value(first), value(last)
    else:
        start = value(base)
        end = high if step_text else start
    if start <= end:
        sequence = list(range(start, end + 1))
    else:
        sequence = list(range(start, high + 1)) + list(range(low, end + 1))
    return sequence[::step]


class Cron:
    def __init__(self, text, dialect, day_match):
        text = text.strip()
        if text.startswith("@"):
            text = MACROS[text.lower()]
        fields = text.upper().split()
        if len(fields) == 5:
            fields.insert(0, "0")
        self.dialect = dialect
        self.day_match = day_match
        self.seconds = self.plain(fields[0], 0, 59)
        self.minutes = self.plain(fields[1], 0, 59)
        self.hours = self.plain(fields[2], 0, 23)
        self.months = self.plain(fields[4], 1, 12, MONTHS, 1)
        self.years = self.plain(fields[6], 1970, 2199) if len(fields) == 7 else None
        self.dom_text, self.dow_text = fields[3], fields[5]
        self.dom_restricted = not (fields[3].startswith("*") or fields[3].startswith("?"))
        self.dow_restricted = not (fields[5].startswith("*") or fields[5].startswith("?"))

    @staticmethod
    def plain(field, low, high, names=(), name_base=0):
        result = set()
        for token in field.split(","):
            result.update(expand(token, low, high, names, name_base))
        return result

    def weekday_number(self, text):
        """Converts a written weekday to 0 = Sunday."""
        if text in WEEKDAYS:
            return WEEKDAYS.index(text)
        number = int(text)
        return number % 7 if self.dialect == "linux" else number - 1

    def dom_matches(self, date):
        if self.dom_text == "?":
            return True
        length = calendar.monthrange(date.year, date.month)[1]
        for token in self.dom_text.split(","):
            if token == "L":
                if date.day == length:
                    return True
            elif token.startswith("L-"):
                if date.day == length - int(token[2:]):
                    return True
            elif token == "LW":
                if date.day == nearest_weekday(date.year, date.month, length):
                    return True
            elif token.endswith("W"):
                day = int(token[:-1])
                if day <= length and date.day == nearest_weekday(date.year, date.month, day):
                    return True
            elif date.day in expand(token, 1, 31):
                return True
        return False

    def dow_matches(self, date):
        if self.dow_text == "?":
            return True
        weekday = (date.weekday() + 1) % 7  # Python: Monday = 0.
        length = calendar.monthrange(date.year, date.month)[1]
        high = 7
        low = 0 if self.dialect == "linux" else 1
        for token in self.dow_text.split(","):
            if token == "L":
                if weekday == 6:
                    return True
            elif "#" in token:
                day_text, n = token.split("#")
                if self.weekday_number(day_text) == weekday and (date.day - 1) // 7 + 1 == int(n):
                    return True
            elif token.endswith("L"):
                if self.weekday_number(token[:-1]) == weekday and date.day + 7 > length:
                    return True
            else:
                values = expand(token, low, high, WEEKDAYS, 0 if self.dialect == "linux" else 1)
                if weekday in {value % 7 if self.dialect == "linux" else value - 1 for value in values}:
                    return True
        return False

    def day_matches(self, date):
        if date.month not in self.months:
            return False
        if self.years is not None and date.year not in self.years:
            return False
        dom, dow = self.dom_matches(date), self.dow_matches(date)
        if self.dom_restricted and self.dow_restricted and self.day_match == "either":
            return dom or dow
        return dom and dow

    @property
    def hours_sorted(self):
        return sorted(self.hours)

    @property
    def minutes_sorted(self):
        return sorted(self.minutes)

    @property
    def seconds_sorted(self):
        return sorted(self.seconds)


def nearest_weekday(year, month, day):
    length = calendar.monthrange(year, month)[1]
    weekday = (dt.date(year, month, day).weekday() + 1) % 7
    if weekday == 6:
        return 3 if day == 1 else day - 1
    if weekday == 0:
        return day - 2 if day == length else day + 1
    return day


def offset_at(zone, instant):
    return int(dt.datetime.fromtimestamp(instant, zone).utcoffset().total_seconds())


def instants_of(local, wall_seconds, zone, gap, overlap):
    """Returns the instants at which the local wall-clock time `local` fires.

    `wall_seconds` is `local` read as if it were UTC. PEP 495: for a repeated time fold=0 gives
    the offset before the switch (the larger one), for a skipped time fold=0 gives the offset
    before the gap (the smaller one); fold=1 gives the offset after the switch.
    """
    before = int(local.replace(tzinfo=zone, fold=0).utcoffset().total_seconds())
    after = int(local.replace(tzinfo=zone, fold=1).utcoffset().total_seconds())
    if before == after:
        return [wall_seconds - before]
    if before > after:
        first, second = wall_seconds - before, wall_seconds - after
        return [first, second] if overlap == "twice" else [first]
    if gap == "skip":
        return []
    # The gap ends at the first instant with the later offset, between the two readings.
    low, high = wall_seconds - after, wall_seconds - before
    while high - low > 1:
        middle = (low + high) // 2
        if offset_at(zone, middle) == after:
            high = middle
        else:
            low = middle
    return [high]


def cron_fires(case):
    cron = Cron(case["cron"], case.get("dialect", "linux"), case.get("day_match", "either"))
    zone = ZoneInfo(case["zone"])
    after, count = case["after"], case["count"]
    gap, overlap = case.get("gap", "shift"), case.get("overlap", "once")
    horizon = after + case.get("horizon_days", 3660) * 86400
    local_after = dt.datetime.fromtimestamp(after, zone).replace(tzinfo=None)
    skip_before = local_after - dt.timedelta(hours=3)

    fires = []  # The `count` earliest fires found so far, ascending.
    day = skip_before.date()
    while True:
        day_start = dt.datetime(day.year, day.month, day.day)
        if day_start.replace(tzinfo=UTC).timestamp() - 14 * 3600 > horizon:
            break
        if len(fires) >= count:
            kth = fires[count - 1]
            if day_start.replace(tzinfo=UTC).timestamp() - 14 * 3600 > kth + 3 * 3600:
                break
        if cron.day_matches(day):
            day_seconds = (day - dt.date(1970, 1, 1)).days * 86400
            done = False
            for hour in cron.hours_sorted:
                if dt.datetime(day.year, day.month, day.day, hour, 59, 59) < skip_before:
                    continue
                for minute in cron.minutes_sorted:
                    if dt.datetime(day.year, day.month, day.day, hour, minute, 59) < skip_before:
                        continue
                    for second in cron.seconds_sorted:
                        local = dt.datetime(day.year, day.month, day.day, hour, minute, second)
                        if local < skip_before:
                            continue
                        wall = day_seconds + hour * 3600 + minute * 60 + second
                        instants = instants_of(local, wall, zone, gap, overlap)
                        for instant in instants:
                            if after < instant <= horizon and instant not in fires:
                                bisect.insort(fires, instant)
                                del fires[count:]
                        if len(fires) >= count and instants:
                            kth = fires[count - 1]
                            if min(instants) > kth + 3 * 3600:
                                done = True
                                break
                    if done:
                        break
                if done:
                    break
        day += dt.timedelta(days=1)
    return fires


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        if case["op"] == "cron":
            try:
                print(json.dumps({"fires": cron_fires(case)}))
            except Exception as error:  # Reported back so the test shows the case that broke.
                print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        elif case["op"] == "offsets":
            zone = ZoneInfo(case["zone"])
            print(json.dumps({"offsets": [offset_at(zone, instant) for instant in case["instants"]]}))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
