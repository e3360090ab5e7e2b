/* A node rank (any rank but 0): receives the Setup from the coordinator,
 * takes its role (stage leader, shard member or idle) and serves messages
 * until Shutdown. Any failure ends the whole job through wire_fatal, which
 * tells the coordinator the rank and the reason. */
#ifndef SWAN_NODE_H
#define SWAN_NODE_H

int node_main(int rank);

#endif
