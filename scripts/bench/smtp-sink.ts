// The SMTP server of the mail benchmark, in a process of its own (so its CPU is not the
// portal's nor the measuring process's): smtp-server accepting everything, printing one line
// "A <epoch ms> <recipient>" per accepted mail. Ends with its parent (stdin closes) or SIGTERM.
import { SMTPServer } from 'smtp-server';

const port = Number(process.argv[2] ?? 2526);
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  // Many pooled connections from several senders at once.
  maxClients: 200,
  onData(stream, session, callback) {
    // Read before answering: the session's envelope is reset once the mail is accepted.
    const to = session.envelope.rcptTo.map((r) => r.address).join(',');
    stream.on('data', () => {});
    stream.on('end', () => {
      const at = Date.now();
      callback();
      process.stdout.write(`A ${at} ${to}\n`);
    });
  },
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`ready ${port}\n`));
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
