/* The most resident memory this process has held so far: what a rank
 * reports per document, mapped weight pages included. */
#ifndef SWAN_PEAK_RSS_H
#define SWAN_PEAK_RSS_H

long peak_rss_bytes(void);

#endif
