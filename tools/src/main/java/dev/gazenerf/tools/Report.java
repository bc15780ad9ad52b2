package dev.gazenerf.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The demo's {@code report.html}: a self-contained page (images by relative path, the loss curve as inline SVG). */
final class Report {
    private final StringBuilder body = new StringBuilder();
    private final String title;

    Report(String title) {
        this.title = title;
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    Report heading(String text) {
        body.append("<h2>").append(esc(text)).append("</h2>\n");
        return this;
    }

    Report paragraph(String text) {
        body.append("<p>").append(esc(text)).append("</p>\n");
        return this;
    }

    Report image(String relPath, String caption, int width) {
        body.append("<figure><img src=\"").append(esc(relPath)).append("\" style=\"width:").append(width)
                .append("px;image-rendering:pixelated\"><figcaption>").append(esc(caption)).append("</figcaption></figure>\n");
        return this;
    }

    /** A table of metric sets: rows are the sets ("redirected", ...), columns the metric names. */
    Report metricsTable(JsonNode metrics, List<String> sets, List<String> columns) {
        body.append("<table><tr><th></th>");
        for (String c : columns) {
            body.append("<th>").append(esc(c)).append("</th>");
        }
        body.append("</tr>\n");
        for (String s : sets) {
            body.append("<tr><th>").append(esc(s)).append("</th>");
            for (String c : columns) {
                JsonNode v = metrics.path(s).path(c);
                body.append("<td>").append(v.isNumber() ? String.format(Locale.ROOT, "%.4f", v.asDouble()) : "-").append("</td>");
            }
            body.append("</tr>\n");
        }
        body.append("</table>\n");
        return this;
    }

    /** The training loss (and held-out PSNR) over the steps of a log.jsonl, as an inline SVG chart. */
    Report lossCurve(Path logJsonl) throws IOException {
        List<double[]> loss = new ArrayList<>();
        List<double[]> psnr = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(logJsonl, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n = json.readTree(line);
            if (n.has("loss")) {
                loss.add(new double[]{n.get("step").asDouble(), n.get("loss").asDouble()});
            }
            if (n.has("held_out_psnr")) {
                psnr.add(new double[]{n.get("step").asDouble(), n.get("held_out_psnr").asDouble()});
            }
        }
        body.append(svg(smooth(loss, 25), "training loss (moving average of 25 steps)", "#c0392b"));
        if (!psnr.isEmpty()) {
            body.append(svg(psnr, "held-out PSNR (dB), rendered from the base codes without fitting", "#2471a3"));
        }
        return this;
    }

    private static List<double[]> smooth(List<double[]> pts, int window) {
        List<double[]> out = new ArrayList<>();
        double sum = 0;
        for (int i = 0; i < pts.size(); i++) {
            sum += pts.get(i)[1];
            if (i >= window) {
                sum -= pts.get(i - window)[1];
            }
            out.add(new double[]{pts.get(i)[0], sum / Math.min(i + 1, window)});
        }
        return out;
    }

    private static String svg(List<double[]> pts, String label, String colour) {
        if (pts.isEmpty()) {
            return "";
        }
        double x0 = pts.get(0)[0], x1 = pts.get(pts.size() - 1)[0];
        double y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
        for (double[] p : pts) {
            y0 = Math.min(y0, p[1]);
            y1 = Math.max(y1, p[1]);
        }
        if (x1 == x0) {
            x1 = x0 + 1;
        }
        if (y1 == y0) {
            y1 = y0 + 1;
        }
        int w = 560, h = 180, m = 40;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<figure><svg width=\"%d\" height=\"%d\" style=\"background:#fafafa\">", w, h));
        s.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"1.5\" points=\"");
        for (double[] p : pts) {
            double x = m + (p[0] - x0) / (x1 - x0) * (w - 2 * m);
            double y = h - m / 2.0 - (p[1] - y0) / (y1 - y0) * (h - m);
            s.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        s.append("\"/>");
        s.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"14\" font-size=\"11\">%.4g</text><text x=\"4\" y=\"%d\" font-size=\"11\">%.4g</text>",
                y1, h - 6, y0));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">step %.0f</text>", w - 90, h - 6, x1));
        s.append("</svg><figcaption>").append(esc(label)).append("</figcaption></figure>\n");
        return s.toString();
    }

    Report raw(String html) {
        body.append(html);
        return this;
    }

    Report keyValues(Map<String, String> kv) {
        body.append("<table>");
        kv.forEach((k, v) -> body.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>\n"));
        body.append("</table>\n");
        return this;
    }

    /** Writes the page atomically. */
    void write(Path file) throws IOException {
        String html = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + esc(title) + "</title>\n"
                + "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
                + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}"
                + "figure{display:inline-block;margin:0.5em}figcaption{font-size:12px;color:#555;max-width:560px}</style>"
                + "</head><body>\n<h1>" + esc(title) + "</h1>\n" + body + "</body></html>\n";
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".report", ".tmp");
        Files.writeString(tmp, html, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
