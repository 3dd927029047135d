/**
 * Visual vocabulary of the map: stance colours, role colours, kind shapes, relation styles.
 * One palette for tablet, console and beamer, based on Okabe–Ito (distinguishable with
 * every common colour-vision deficiency); colour is never the only cue where it matters
 * (signs carry +/−, relation kinds their dash pattern, roles their name).
 */
export const OKABE_ITO = {
  black: "#000000",
  orange: "#E69F00",
  skyBlue: "#56B4E9",
  bluishGreen: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  reddishPurple: "#CC79A7",
} as const;
const GREY = "#5F6368";
const LIGHT_GREY = "#BBBBBB";

/** Pole A blue, pole B vermillion, the middle purple (between the two), unknown dark grey. */
export const STANCE_COLOUR: Record<string, string> = {
  pole_a: OKABE_ITO.blue,
  middle: OKABE_ITO.reddishPurple,
  pole_b: OKABE_ITO.vermillion,
  unknown: GREY,
};

export const ROLE_COLOUR: Record<string, string> = {
  pusher: OKABE_ITO.vermillion,
  joiner: OKABE_ITO.orange,
  silent: LIGHT_GREY,
  bridge_builder: OKABE_ITO.bluishGreen,
  scapegoat: OKABE_ITO.reddishPurple,
  schakel: OKABE_ITO.blue,
  mover: OKABE_ITO.yellow,
};

/** Text on a role's pill: black, or white on blue (contrast at least 4.5:1 on each). */
export const ROLE_TEXT: Record<string, string> = Object.fromEntries(Object.keys(ROLE_COLOUR).map((r) => [r, r === "schakel" ? "#FFFFFF" : "#000000"]));

export const SIGN_COLOUR: Record<string, string> = { "+": OKABE_ITO.blue, "-": OKABE_ITO.vermillion };
export const NEUTRAL_LINE = "#4a4f57";

/**
 * Dash pattern per relation kind, in multiples of the line's width (lines have round caps,
 * which add half a width to each end of a dash: every gap is more than one width, so the
 * pattern survives at every strength). 0 is a dot.
 */
export const RELATION_DASH: Record<string, readonly number[]> = {
  alliance: [], // solid
  tension: [2.5, 2.5], // medium dashes
  access: [0, 2.2], // dots
  influence: [6, 2.5], // long dashes
  conflict: [4, 2.2, 0, 2.2], // dash dot
  other: [4, 2.2, 0, 2.2, 0, 2.2], // dash dot dot
};

/** The stroke-dasharray of a relation kind drawn `width` wide (round caps); null: solid. */
export function relationDash(kind: string, width: number): string | null {
  const d = RELATION_DASH[kind];
  return d?.length ? d.map((n) => +(n * width).toFixed(2)).join(" ") : null;
}

export const PALETTE = [OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.reddishPurple, OKABE_ITO.bluishGreen, OKABE_ITO.orange, OKABE_ITO.skyBlue, GREY, OKABE_ITO.black];
export const NOTE_PALETTE = ["#fff4a8", "#ffd6a5", "#caffbf", "#a0e7ff", "#ffc6ff"];
export const INK_PALETTE = ["#222222", OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.bluishGreen];

/** The name (an i18n key `colour.<name>`) of each colour a person can pick: buttons are
 *  announced by name, never as a hex code. */
export const COLOUR_NAMES: Record<string, string> = {
  [OKABE_ITO.blue]: "blue",
  [OKABE_ITO.vermillion]: "vermillion",
  [OKABE_ITO.reddishPurple]: "purple",
  [OKABE_ITO.bluishGreen]: "green",
  [OKABE_ITO.orange]: "orange",
  [OKABE_ITO.skyBlue]: "skyBlue",
  [GREY]: "grey",
  [OKABE_ITO.black]: "black",
  "#222222": "black",
  "#fff4a8": "yellow",
  "#ffd6a5": "peach",
  "#caffbf": "lightGreen",
  "#a0e7ff": "lightBlue",
  "#ffc6ff": "pink",
};

export const PEER_COLOURS = ["#d81b60", "#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#00897b", "#6d4c41", "#3949ab"];

/** A colour from the client id: the fallback before a seat in the group is known. */
export function peerColour(client: string): string {
  let h = 0;
  for (let i = 0; i < client.length; i++) h = (h * 31 + client.charCodeAt(i)) >>> 0;
  return PEER_COLOURS[h % PEER_COLOURS.length]!;
}

/** The colour of the n-th member of a group (in joining order): distinct within a group. */
export function seatColour(seat: number): string {
  return PEER_COLOURS[((seat % PEER_COLOURS.length) + PEER_COLOURS.length) % PEER_COLOURS.length]!;
}

/** Radius of an actor's shape from its influence 0..5. */
export function actorRadius(influence: unknown): number {
  const n = typeof influence === "number" ? influence : 2;
  return 28 + n * 6;
}

/** SVG path of a kind's shape, centred on 0,0 with radius r. */
export function kindPath(kind: unknown, r: number): string {
  const poly = (n: number, rot: number): string => {
    const pts: string[] = [];
    for (let i = 0; i < n; i++) {
      const a = rot + (i * 2 * Math.PI) / n;
      pts.push(`${(r * Math.cos(a)).toFixed(1)},${(r * Math.sin(a)).toFixed(1)}`);
    }
    return `M${pts.join("L")}Z`;
  };
  const circle = `M${-r},0a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
  switch (kind) {
    case "organisation": {
      const s = r * 0.88, c = r * 0.25;
      return `M${-s + c},${-s}H${s - c}Q${s},${-s} ${s},${-s + c}V${s - c}Q${s},${s} ${s - c},${s}H${-s + c}Q${-s},${s} ${-s},${s - c}V${-s + c}Q${-s},${-s} ${-s + c},${-s}Z`;
    }
    case "group":
      return poly(6, 0);
    case "institution":
      return poly(5, -Math.PI / 2);
    case "media":
      return poly(4, -Math.PI / 2);
    case "online_community":
      return poly(8, Math.PI / 8);
    case "other":
      return poly(3, -Math.PI / 2);
    default:
      return circle;
  }
}
