/** Visual vocabulary of the map: stance colours, role colours, kind shapes, relation styles. */
export const STANCE_COLOUR: Record<string, string> = {
  pole_a: "#2f6fb3",
  middle: "#6f8f3a",
  pole_b: "#c0632a",
  unknown: "#7a7f87",
};

export const ROLE_COLOUR: Record<string, string> = {
  pusher: "#b3261e",
  joiner: "#8e4db3",
  silent: "#5f6368",
  bridge_builder: "#1b7f5b",
  scapegoat: "#7a4a1a",
  schakel: "#0b6e99",
  mover: "#b36b00",
};

export const SIGN_COLOUR: Record<string, string> = { "+": "#1b7f3b", "-": "#b3261e" };
export const NEUTRAL_LINE = "#4a4f57";

/** Dash pattern per relation kind (board units). */
export const RELATION_DASH: Record<string, string> = {
  alliance: "",
  tension: "10 7",
  access: "2 7",
  influence: "",
  conflict: "14 5 3 5",
  other: "6 6",
};

export const PALETTE = ["#2f6fb3", "#c0632a", "#6f8f3a", "#8e4db3", "#b3261e", "#0b6e99", "#b36b00", "#5f6368"];
export const NOTE_PALETTE = ["#fff4a8", "#ffd6a5", "#caffbf", "#a0e7ff", "#ffc6ff"];
export const INK_PALETTE = ["#222222", "#2f6fb3", "#b3261e", "#1b7f3b"];

export const PEER_COLOURS = ["#d81b60", "#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#00897b", "#6d4c41", "#3949ab"];

export function peerColour(client: string): string {
  let h = 0;
  for (let i = 0; i < client.length; i++) h = (h * 31 + client.charCodeAt(i)) >>> 0;
  return PEER_COLOURS[h % PEER_COLOURS.length]!;
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
