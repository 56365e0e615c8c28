/* empty: does nothing; times process (or instance) start-up. */
int main(void) { return 0; }
