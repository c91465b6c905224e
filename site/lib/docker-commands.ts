// The README's commands for the Docker lab image, shown where the browser cannot run a lab.
// Commands are the same in every language; the sentence around them is translated (i18n/ui.ts).

/** Build the image, then start it (with the two capabilities a kernel lab needs). */
export function dockerCommands(kernel: boolean): string[] {
  return [
    'docker build --network host -f docker/Dockerfile -t go-ha-labs .',
    kernel ? 'docker run --rm --cap-add NET_ADMIN --cap-add SYS_ADMIN -p 4321:4321 go-ha-labs' : 'docker run --rm -p 4321:4321 go-ha-labs',
  ];
}
