/*
 * timeline-svg.c - the SVG Gantt chart of a replayed trace: one lane per
 * process, a bar per running/ready/blocked/sleeping interval, a tick axis,
 * interrupt and message marks, and a legend (see timeline.h).
 *
 * Sits on the model of timeline-int.h; single-threaded.
 */
#include "timeline-int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- SVG ------------------------------------------------------------- */

static void xml_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

const struct tl_row *tl__seen_row(const tl_t *tl, mk_pid_t pid, size_t *lane)
{
    size_t n = 0;
    for (size_t i = 0; i < tl->nrows; i++) {
        if (!tl->rows[i].seen)
            continue;
        if (tl->rows[i].pid == pid) {
            if (lane)
                *lane = n;
            return &tl->rows[i];
        }
        n++;
    }
    return NULL;
}

/* A tick step giving labels at least min_px apart: 1, 2, 5, 10, 20, … */
static uint64_t axis_step(double px_per_tick, double min_px)
{
    static const uint64_t m[] = {1, 2, 5};
    for (uint64_t p = 1;; p *= 10)
        for (size_t i = 0; i < 3; i++)
            if (m[i] * p * px_per_tick >= min_px || p > 1000000000000ull)
                return m[i] * p;
}

#define SVG_LEFT 170.0
#define SVG_TOP 74.0
#define SVG_LANE 30.0
#define SVG_CHART 960.0

int tl_write_svg(const tl_t *tl, FILE *out, const char *title)
{
    size_t lanes = 0;
    for (size_t i = 0; i < tl->nrows; i++)
        lanes += tl->rows[i].seen != 0;
    uint64_t t0 = tl->first, span = tl->end > t0 ? tl->end - t0 : 1;
    double px = SVG_CHART / (double)span;
    double chart_h = SVG_LANE * (double)lanes;
    double width = SVG_LEFT + SVG_CHART + 30.0;
    double legend_y = SVG_TOP + chart_h + 44.0;
    double height = legend_y + 78.0;
#define X(t) (SVG_LEFT + ((double)(t) - (double)t0) * px)

    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                 "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
                 "font-size=\"12\">\n",
            width, height, width, height);
    fputs("<defs>\n"
          " <pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
          "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f4d6d6\"/>"
          "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#b03a3a\" stroke-width=\"2\"/></pattern>\n"
          " <marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
          "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" "
          "fill=\"#333\"/></marker>\n"
          "</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
          out);
    fputs("<text x=\"16\" y=\"24\" font-size=\"16\" font-weight=\"bold\">", out);
    xml_text(out, title ? title : "libmk scheduling timeline");
    fprintf(out, "</text>\n<text x=\"16\" y=\"42\" fill=\"#555\">virtual ticks %" PRIu64
                 " to %" PRIu64 "; each lane is one process</text>\n",
            t0, tl->end);

    /* Lanes and grid. */
    size_t lane = 0;
    for (size_t i = 0; i < tl->nrows; i++) {
        const struct tl_row *r = &tl->rows[i];
        if (!r->seen)
            continue;
        double y = SVG_TOP + SVG_LANE * (double)lane;
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
                SVG_LEFT, y, SVG_CHART, SVG_LANE, lane % 2 ? "#f7f7f7" : "#eeeeee");
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", SVG_LEFT - 8,
                y + SVG_LANE / 2 + 4);
        xml_text(out, r->name);
        fprintf(out, " <tspan fill=\"#777\">(p%" PRIu32 ")</tspan></text>\n", r->pid);
        lane++;
    }
    uint64_t step = axis_step(px, 48.0);
    for (uint64_t t = (t0 + step - 1) / step * step; t <= tl->end; t += step) {
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d0d0d0\"/>\n",
                X(t), SVG_TOP - 4, X(t), SVG_TOP + chart_h + 4);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\">%" PRIu64
                     "</text>\n", X(t), SVG_TOP - 8, t);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\">%" PRIu64
                     "</text>\n", X(t), SVG_TOP + chart_h + 18, t);
    }
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#444\">tick</text>\n",
            SVG_LEFT - 8, SVG_TOP - 8);

    /* Intervals: waiting states as bands, runs as full bars. */
    lane = 0;
    for (size_t i = 0; i < tl->nrows; i++) {
        const struct tl_row *r = &tl->rows[i];
        if (!r->seen)
            continue;
        double y = SVG_TOP + SVG_LANE * (double)lane;
        const char *col = tl__palette[lane % TL_NPALETTE];
        for (size_t j = 0; j < r->niv; j++) {
            const struct tl_iv *v = &r->iv[j];
            double x0 = X(v->t0), w = ((double)(v->t1 - v->t0)) * px;
            const char *kind = v->state == TL_BLOCKED ? tl__wait_kind(v->detail) : NULL;
            switch (v->state) {
            case TL_RUNNING:
                fprintf(out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
                             "fill=\"%s\" stroke=\"#222\" stroke-width=\"0.6\">",
                        x0, y + 4, w, SVG_LANE - 8, col);
                break;
            case TL_READY:
                fprintf(out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"4\" "
                             "fill=\"#9a9a9a\">", x0, y + SVG_LANE / 2 - 2, w);
                break;
            case TL_BLOCKED:
                fprintf(out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"10\" "
                             "fill=\"url(#hatch)\" stroke=\"#b03a3a\" stroke-width=\"0.6\">",
                        x0, y + SVG_LANE / 2 - 5, w);
                break;
            case TL_SLEEPING:
                fprintf(out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"10\" "
                             "fill=\"#bcd7ee\" stroke=\"#5b8fbf\" stroke-width=\"0.6\">",
                        x0, y + SVG_LANE / 2 - 5, w);
                break;
            default:
                continue;
            }
            fprintf(out, "<title>");
            xml_text(out, r->name);
            fprintf(out, " %s%s%s, ticks %" PRIu64 "-%" PRIu64 "</title></rect>\n",
                    tl__state_name[v->state], kind ? " on " : "", kind ? kind : "", v->t0, v->t1);
        }
        lane++;
    }

    /* Marks. */
    int clock_line = -1;
    for (size_t m = 0; m < tl->nmarks; m++) {
        const struct tl_mark *mk = &tl->marks[m];
        size_t ln = 0, dl = 0;
        const struct tl_row *r = tl__seen_row(tl, mk->pid, &ln);
        double x = X(mk->tick), y = SVG_TOP + SVG_LANE * (double)ln;
        switch (mk->type) {
        case MK_EV_IRQ:
            if (tl__irq_is_clock(tl, mk->a)) {
                clock_line = (int)mk->a;
                break;
            }
            fprintf(out, "<path d=\"M%.1f,%.1f l-5,-9 h10 z\" fill=\"#e8a33d\" stroke=\"#8a5a10\">"
                         "<title>interrupt line %" PRIu64 " at tick %" PRIu64 "</title></path>\n",
                    x, SVG_TOP - 1, mk->a, mk->tick);
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e8a33d\" "
                         "stroke-dasharray=\"3,3\"/>\n", x, SVG_TOP, x, SVG_TOP + chart_h);
            break;
        case MK_EV_MSG_SEND:
        case MK_EV_RPC_CALL:
        case MK_EV_RPC_REPLY: {
            if (r == NULL)
                break;
            const struct tl_row *d = (mk->a <= UINT32_MAX)
                                         ? tl__seen_row(tl, (mk_pid_t)mk->a, &dl) : NULL;
            const char *what = mk->type == MK_EV_MSG_SEND ? "message"
                               : mk->type == MK_EV_RPC_CALL ? "RPC call" : "RPC reply";
            if (d != NULL && d != r) {
                double y2 = SVG_TOP + SVG_LANE * (double)dl + SVG_LANE / 2;
                double y1 = y + SVG_LANE / 2;
                y2 += (y2 > y1) ? -6 : 6;
                fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\" "
                             "stroke-width=\"1.3\" marker-end=\"url(#arrow)\"%s>",
                        x, y1, x, y2,
                        mk->type == MK_EV_MSG_SEND ? "" : " stroke-dasharray=\"4,2\"");
                fprintf(out, "<title>%s %s -&gt; %s, %" PRIu64 " bytes, tick %" PRIu64 "</title></line>\n",
                        what, r->name, d->name, mk->b, mk->tick);
            }
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#fff\" stroke=\"#333\">"
                         "<title>%s sent at tick %" PRIu64 "</title></circle>\n",
                    x, y + SVG_LANE / 2, what, mk->tick);
            break;
        }
        case MK_EV_PRIO:
            if (r == NULL)
                break;
            fprintf(out, "<path d=\"M%.1f,%.1f l5,5 l-5,5 l-5,-5 z\" fill=\"#7b3fa0\">"
                         "<title>priority %" PRIu64 " -&gt; %" PRIu64 " at tick %" PRIu64
                         "</title></path>\n",
                    x, y - 1, mk->a, mk->b, mk->tick);
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#7b3fa0\" "
                         "stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">prio %"
                         PRIu64 "&#8594;%" PRIu64 "</text>\n",
                    x + 6, y + 9, mk->a, mk->b);
            break;
        case MK_EV_FAULT:
            if (r == NULL)
                break;
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"14\" font-weight=\"bold\" "
                         "fill=\"#c00\" text-anchor=\"middle\">&#215;<title>exception %" PRIu64
                         " at tick %" PRIu64 "</title></text>\n",
                    x, y + SVG_LANE / 2 + 5, mk->a, mk->tick);
            break;
        case MK_EV_LOCK:
        case MK_EV_UNLOCK:
            if (r == NULL)
                break;
            fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"5\" fill=\"%s\">"
                         "<title>%s at tick %" PRIu64 "</title></rect>\n",
                    x - 1.5, y + SVG_LANE - 6, mk->type == MK_EV_LOCK ? "#111" : "#888",
                    mk->type == MK_EV_LOCK ? "lock" : "unlock", mk->tick);
            break;
        default:
            break;
        }
    }

    /* Legend: one swatch per process, then the states and marks. */
    double lx = 16, ly = legend_y;
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">running:</text>\n", lx, ly + 10);
    lx += 70;
    lane = 0;
    for (size_t i = 0; i < tl->nrows; i++) {
        const struct tl_row *r = &tl->rows[i];
        if (!r->seen)
            continue;
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"12\" fill=\"%s\" "
                     "stroke=\"#222\" stroke-width=\"0.6\"/>\n<text x=\"%.1f\" y=\"%.1f\">",
                lx, ly, tl__palette[lane % TL_NPALETTE], lx + 19, ly + 10);
        xml_text(out, r->name);
        fputs("</text>\n", out);
        lx += 19 + 7.5 * (double)strlen(r->name) + 16;
        if (lx > width - 120) {
            lx = 86;
            ly += 18;
        }
        lane++;
    }
    ly += 26;
    fprintf(out,
            "<rect x=\"16\" y=\"%.1f\" width=\"24\" height=\"4\" fill=\"#9a9a9a\"/>"
            "<text x=\"46\" y=\"%.1f\">ready</text>\n"
            "<rect x=\"100\" y=\"%.1f\" width=\"24\" height=\"10\" fill=\"url(#hatch)\" stroke=\"#b03a3a\" stroke-width=\"0.6\"/>"
            "<text x=\"130\" y=\"%.1f\">blocked</text>\n"
            "<rect x=\"200\" y=\"%.1f\" width=\"24\" height=\"10\" fill=\"#bcd7ee\" stroke=\"#5b8fbf\" stroke-width=\"0.6\"/>"
            "<text x=\"230\" y=\"%.1f\">sleeping</text>\n"
            "<path d=\"M312,%.1f l-5,-9 h10 z\" fill=\"#e8a33d\" stroke=\"#8a5a10\"/>"
            "<text x=\"322\" y=\"%.1f\">interrupt</text>\n"
            "<line x1=\"402\" y1=\"%.1f\" x2=\"402\" y2=\"%.1f\" stroke=\"#333\" stroke-width=\"1.3\" marker-end=\"url(#arrow)\"/>"
            "<text x=\"412\" y=\"%.1f\">message (dashed: RPC)</text>\n"
            "<path d=\"M572,%.1f l5,5 l-5,5 l-5,-5 z\" fill=\"#7b3fa0\"/>"
            "<text x=\"582\" y=\"%.1f\">priority change (inheritance)</text>\n"
            "<rect x=\"790\" y=\"%.1f\" width=\"3\" height=\"8\" fill=\"#111\"/>"
            "<text x=\"799\" y=\"%.1f\">lock</text>\n",
            ly + 3, ly + 9, ly, ly + 9, ly, ly + 9, ly + 10, ly + 9, ly - 2, ly + 10, ly + 9,
            ly, ly + 9, ly + 1, ly + 9);
    if (clock_line >= 0)
        fprintf(out, "<text x=\"16\" y=\"%.1f\" fill=\"#555\">the clock interrupt (line %d) is "
                     "not drawn: every event carries its tick</text>\n", ly + 30, clock_line);
    fputs("</svg>\n", out);
#undef X
    return ferror(out) ? -1 : 0;
}
