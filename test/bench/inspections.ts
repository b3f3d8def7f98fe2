// Records of the example app (Equipment inspections) for the benchmarks.

const WORDS = [
  "Drill press",
  "Lathe",
  "Band saw",
  "Compressor",
  "Forklift",
  "Welder",
  "Grinder",
  "Router",
  "Hoist",
  "Generator",
  "Pump",
  "Mixer",
  "Planer",
  "Jointer",
  "Sander",
  "Crane",
  "Boiler",
  "Chiller",
  "Extractor",
  "Conveyor",
  "Scissor lift",
  "Pallet jack",
  "Pressure washer",
  "Table saw",
  "Mitre saw",
  "Spindle moulder",
  "Dust collector",
  "Kiln",
  "Furnace",
  "Laser cutter",
  "Plasma cutter",
  "Press brake",
  "Shear",
  "Roller",
  "Bender",
  "Polisher",
  "Tapping machine",
  "Milling machine",
  "Boring machine",
  "Broaching machine",
];
const LOCATIONS = ["Workshop A", "Workshop B", "Yard", "Warehouse"];
const RESULTS = ["pass", "pass", "pass", "pass-with-notes", "fail"];

/** An inspection record: a cheap deterministic spread of values, two checklist rows. */
export function sampleRecord(i: number): Record<string, unknown> {
  // A cheap deterministic spread of values (no Math.random: runs are comparable).
  const h = (i * 2654435761) >>> 0;
  const day = new Date(Date.UTC(2023, 0, 1) + (h % 1095) * 86_400_000).toISOString().slice(0, 10);
  const result = RESULTS[h % RESULTS.length]!;
  const r: Record<string, unknown> = {
    equipment: `${WORDS[h % WORDS.length]} ${1 + (h % 97)}`,
    serialNumber: `SN-${String(i).padStart(7, "0")}`,
    location: LOCATIONS[(h >>> 3) % LOCATIONS.length],
    inspectedOn: day,
    inspector: `inspector${h % 300}@example.org`,
    result,
    hoursInUse: h % 20_000,
    taggedOut: result === "fail",
    checklist: [
      { item: "Guards in place", ok: h % 7 !== 0 },
      { item: "Emergency stop works", ok: true },
    ],
  };
  if (result === "fail") r.failureReason = "Emergency stop sticks";
  return r;
}
